// An async request/reply worker: it serves requests with `await foreach` over ReceiveAllAsync until it is
// cancelled, and a client awaits each reply. Over tcp in one process here; the client could be anywhere.
using Expair;

var stop = new CancellationTokenSource(); // not disposed: the Ctrl+C handler may still run while the program ends
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var server = new PairSocket();
var endpoint = server.Bind("tcp://127.0.0.1:*");
var serving = ServeAsync(server, stop.Token);

await using (var client = new PairSocket())
{
    client.Connect(endpoint);
    foreach (var name in new[] { "Ada", "Grace", "Linus" })
    {
        await client.SendAsync($"hello {name}");
        Console.WriteLine($"Client got: {await client.ReceiveStringAsync()}");
    }
}

stop.Cancel(); // ends ReceiveAllAsync with OperationCanceledException
Console.WriteLine($"Worker stopped after {await serving} requests");

static async Task<int> ServeAsync(PairSocket socket, CancellationToken cancellationToken)
{
    var served = 0;
    try
    {
        await foreach (var request in socket.ReceiveAllAsync(cancellationToken))
        {
            using (request) // a received Message holds pooled buffers
                await socket.SendAsync($"{request.GetString(0)}, this is the worker", cancellationToken);
            served++;
        }
    }
    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
    {
        // Cancelled while waiting for the next request: the normal way to stop.
    }
    return served;
}
