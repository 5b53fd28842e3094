// JSON between C# and Python: this side sends jobs with SendJson, a pyzmq peer (peer.py) answers with
// send_json, and ReceiveJson reads the answers. The JsonTypeInfo overloads use a source-generated context,
// so this also works trimmed and with NativeAOT.
//
//   dotnet run -- [endpoint]        binds (default tcp://127.0.0.1:5556); then run: python3 peer.py <endpoint>
using System.Text.Json.Serialization;
using Expair;

var endpoint = args.ElementAtOrDefault(0) ?? "tcp://127.0.0.1:5556";
await using var socket = new PairSocket();
Console.WriteLine($"Bound to {socket.Bind(endpoint)}; waiting for peer.py"); // the real port when it was *

int[][] batches = [[1, 2, 3], [10, 20], []];
for (var id = 0; id < batches.Length; id++)
{
    await socket.SendJsonAsync(new Job(id, batches[id]), SampleJson.Default.Job);
    var result = await socket.ReceiveJsonAsync(SampleJson.Default.Result)
        ?? throw new InvalidDataException("the peer answered null");
    Console.WriteLine($"Job {result.Id}: sum {result.Sum} (computed by {result.ComputedBy})");
}
await socket.SendJsonAsync(new Job(-1, []), SampleJson.Default.Job); // tells the peer to stop

internal sealed record Job(int Id, int[] Numbers);

internal sealed record Result(int Id, long Sum, string ComputedBy);

// pyzmq's JSON is Python's: snake_case keys.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Job))]
[JsonSerializable(typeof(Result))]
internal sealed partial class SampleJson : JsonSerializerContext;
