// The classic PAIR scenario: a supervisor binds and prints what its worker reports; a worker connects and
// sends "Status update N" once a second. Either side can be this program or its pyzmq twin, twin.py.
//
//   dotnet run -- supervisor [endpoint] [count]            binds (default tcp://127.0.0.1:5555), prints `count` updates (default: until Ctrl+C)
//   dotnet run -- worker [endpoint] [count] [interval-ms]  connects and sends `count` updates (default: until Ctrl+C), one per interval (default 1000)
using System.Globalization;
using Expair;

var role = args.ElementAtOrDefault(0);
var endpoint = args.ElementAtOrDefault(1) ?? "tcp://127.0.0.1:5555";
var count = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : int.MaxValue;
var interval = TimeSpan.FromMilliseconds(args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1000);

var stop = new CancellationTokenSource(); // not disposed: the Ctrl+C handler may still run while the program ends
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    switch (role)
    {
        case "supervisor":
            await SuperviseAsync(endpoint, count, stop.Token);
            return 0;
        case "worker":
            await WorkAsync(endpoint, count, interval, stop.Token);
            return 0;
        default:
            Console.Error.WriteLine("usage: Supervisor supervisor|worker [endpoint] [count] [interval-ms]");
            return 2;
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 130; // Ctrl+C
}

static async Task SuperviseAsync(string endpoint, int count, CancellationToken cancellationToken)
{
    await using var supervisor = new PairSocket();
    Console.WriteLine($"Supervisor bound to {supervisor.Bind(endpoint)}"); // with the real port when it was *
    for (var received = 0; received < count; received++)
        Console.WriteLine($"Supervisor received: {await supervisor.ReceiveStringAsync(cancellationToken)}");
}

static async Task WorkAsync(string endpoint, int count, TimeSpan interval, CancellationToken cancellationToken)
{
    // Linger: Dispose waits (up to 5 s) until the last update has left, so "send, then exit" delivers it.
    await using var worker = new PairSocket(new PairSocketOptions { Linger = TimeSpan.FromSeconds(5) });
    worker.Connect(endpoint); // returns at once; updates wait in the queue until the supervisor is there
    for (var n = 0; n < count; n++)
    {
        if (n > 0)
            await Task.Delay(interval, cancellationToken);
        await worker.SendAsync($"Status update {n}", cancellationToken);
        Console.WriteLine($"Worker sent: Status update {n}");
    }
}
