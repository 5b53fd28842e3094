using System.Text.Json;
using System.Text.Json.Serialization;

namespace Expair.Interop.Tests.PyZmq;

public sealed record PyGreeting(string Greeting, int[] Numbers, Dictionary<string, bool> Nested, string? EchoedBy = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(PyGreeting))]
internal sealed partial class PyJsonContext : JsonSerializerContext;

/// <summary>Expair's SendJson/ReceiveJson against pyzmq's send_json/recv_json, pyzmq connecting and binding.</summary>
public class PyZmqJsonTests
{
    private static readonly PairSocketOptions Options = new() { ReceiveTimeout = TimeSpan.FromSeconds(20), SendTimeout = TimeSpan.FromSeconds(20) };

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task PyZmqConnects_JsonBothWays(string transport)
    {
        using var socket = new PairSocket(Options);
        var endpoint = socket.Bind(transport == "tcp" ? "tcp://127.0.0.1:*" : $"ipc:///tmp/expair-json-{Guid.NewGuid():N}");
        await using var python = PythonPeer.Start("json_peer.py", "connect", endpoint);
        Exchange(socket);
        Assert.Equal("done", await python.ReadLineAsync());
        await python.ExitedAsync();
    }

    [Fact]
    public async Task PyZmqBinds_JsonBothWays()
    {
        await using var python = PythonPeer.Start("json_peer.py", "bind", "tcp://127.0.0.1:*");
        var endpoint = await python.ReadLineAsync();
        using var socket = new PairSocket(Options);
        socket.Connect(endpoint);
        Exchange(socket);
        Assert.Equal("done", await python.ReadLineAsync());
        await python.ExitedAsync();
    }

    private static void Exchange(PairSocket socket)
    {
        // What send_json sent: json.dumps escapes non-ASCII as \uXXXX; the text is the same.
        var greeting = socket.ReceiveJson(PyJsonContext.Default.PyGreeting);
        Assert.NotNull(greeting);
        Assert.Equal("h\u00e9llo from pyzmq \u2713", greeting.Greeting);
        Assert.Equal([1, 2, 3], greeting.Numbers);
        Assert.True(greeting.Nested["ok"]);
        Assert.Null(greeting.EchoedBy);

        // Bytes that are not JSON: a clear exception, and the socket carries on.
        var error = Assert.Throws<JsonException>(() => socket.ReceiveJson(PyJsonContext.Default.PyGreeting));
        Assert.Contains("is not valid JSON for PyGreeting", error.Message, StringComparison.Ordinal);

        // What recv_json reads: pyzmq parses Expair's JSON (non-ASCII as UTF-8 or escaped) and echoes it back.
        var sent = greeting with { Greeting = "from Expair: ünïcode ✓" };
        socket.SendJson(sent, PyJsonContext.Default.PyGreeting);
        var echoed = socket.ReceiveJson(PyJsonContext.Default.PyGreeting);
        Assert.NotNull(echoed);
        Assert.Equal("from Expair: ünïcode ✓", echoed.Greeting);
        Assert.Equal("pyzmq", echoed.EchoedBy);
        Assert.Equal(sent.Numbers, echoed.Numbers);
    }
}
