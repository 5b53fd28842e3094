using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Expair.Tests.Usage;

public sealed record StatusUpdate(string Worker, int Sequence, double Load);

[JsonSerializable(typeof(StatusUpdate))]
[JsonSerializable(typeof(Dictionary<string, int>))]
[JsonSerializable(typeof(int[]))]
internal sealed partial class TestJsonContext : JsonSerializerContext;

/// <summary>SendJson/ReceiveJson: one UTF-8 JSON frame, as pyzmq's send_json/recv_json (the pyzmq side is in the interop tests).</summary>
public class JsonMessageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void SendJson_WithTypeInfo_SendsOneUtf8JsonFrame()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.SendJson(new StatusUpdate("wörker", 3, 0.5), TestJsonContext.Default.StatusUpdate);
        using var message = a.Receive();
        Assert.Single(message);
        Assert.Equal("""{"Worker":"w\u00F6rker","Sequence":3,"Load":0.5}""", message.GetString(0));
    }

    [Fact]
    public void ReceiveJson_WithTypeInfo_ReadsWhatSendJsonSent()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        var sent = new StatusUpdate("w1", 7, 1.25);
        b.SendJson(sent, TestJsonContext.Default.StatusUpdate);
        Assert.Equal(sent, a.ReceiveJson(TestJsonContext.Default.StatusUpdate));
    }

    [Fact]
    public void ReceiveJson_ReadsJsonWrittenByHand()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.Send("""{"a": 1, "b": 2}"""u8);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 }, a.ReceiveJson(TestJsonContext.Default.DictionaryStringInt32));
    }

    [Fact]
    public void SendJson_WithOptions_HonoursThem()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        b.SendJson(new StatusUpdate("w", 1, 2), options);
        Assert.Equal("""{"worker":"w","sequence":1,"load":2}""", a.ReceiveString());
        b.Send("""{"worker":"x","sequence":9,"load":0.25}""");
        Assert.Equal(new StatusUpdate("x", 9, 0.25), a.ReceiveJson<StatusUpdate>(options));
    }

    [Fact]
    public void SendJson_WithDefaultOptions_WritesCompactJson()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.SendJson(new[] { 1, 2, 3 });
        Assert.Equal("[1,2,3]", a.ReceiveString());
    }

    [Fact]
    public void SendJson_NullValue_SendsJsonNull()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.SendJson<StatusUpdate?>(null, TestJsonContext.Default.StatusUpdate);
        Assert.Equal("null", a.ReceiveString());
        b.Send("null");
        Assert.Null(a.ReceiveJson(TestJsonContext.Default.StatusUpdate));
    }

    [Fact]
    public void SendJson_LargeThenSmall_EachMessageExact()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        var large = Enumerable.Range(0, 100_000).ToArray(); // grows the per-thread buffer past what is kept
        b.SendJson(large, TestJsonContext.Default.Int32Array);
        b.SendJson([5], TestJsonContext.Default.Int32Array);
        Assert.Equal(large, a.ReceiveJson(TestJsonContext.Default.Int32Array));
        Assert.Equal(new[] { 5 }, a.ReceiveJson(TestJsonContext.Default.Int32Array));
    }

    [Theory]
    [InlineData("{\"Worker\": \"w\", ")] // truncated
    [InlineData("not json at all")]
    [InlineData("[1, 2]")] // valid JSON, wrong shape
    public void ReceiveJson_InvalidJson_ThrowsJsonExceptionAndTheSocketStaysUsable(string text)
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.Send(text);
        b.SendJson(new StatusUpdate("next", 2, 0), TestJsonContext.Default.StatusUpdate);
        var error = Assert.Throws<JsonException>(() => a.ReceiveJson(TestJsonContext.Default.StatusUpdate));
        Assert.Contains($"The received message ({Encoding.UTF8.GetByteCount(text)} bytes) is not valid JSON for StatusUpdate", error.Message, StringComparison.Ordinal);
        Assert.Contains("the socket is still usable", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.InnerException);
        Assert.Equal(new StatusUpdate("next", 2, 0), a.ReceiveJson(TestJsonContext.Default.StatusUpdate));
    }

    [Fact]
    public void ReceiveJson_InvalidUtf8_ThrowsJsonExceptionAndTheSocketStaysUsable()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.Send([(byte)'"', 0xC3, 0x28, (byte)'"']);
        b.Send("\"fine\"");
        Assert.Throws<JsonException>(() => a.ReceiveJson<string>());
        Assert.Equal("fine", a.ReceiveJson<string>());
    }

    [Fact]
    public void ReceiveJson_Multipart_ThrowsAndLeavesItQueued()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.Send(new Message("[1]", "[2]"));
        Assert.Throws<InvalidOperationException>(() => a.ReceiveJson(TestJsonContext.Default.Int32Array));
        using var message = a.Receive();
        Assert.Equal(2, message.Count);
    }

    [Fact]
    public void TryReceiveJson_NoMessage_ReturnsFalse()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        Assert.False(a.TryReceiveJson(out var value, TimeSpan.FromMilliseconds(20), TestJsonContext.Default.StatusUpdate));
        Assert.Null(value);
        b.SendJson(new StatusUpdate("w", 1, 1), TestJsonContext.Default.StatusUpdate);
        Assert.True(a.TryReceiveJson(out value, Patience, TestJsonContext.Default.StatusUpdate));
        Assert.Equal(new StatusUpdate("w", 1, 1), value);
    }

    [Fact]
    public async Task JsonAsync_RoundTripOverTcp()
    {
        using var a = new PairSocket();
        using var b = new PairSocket();
        b.Connect(a.Bind("tcp://127.0.0.1:*"));
        var receiving = a.ReceiveJsonAsync(TestJsonContext.Default.StatusUpdate).AsTask();
        await b.SendJsonAsync(new StatusUpdate("async", 4, 0.75), TestJsonContext.Default.StatusUpdate);
        Assert.Equal(new StatusUpdate("async", 4, 0.75), await receiving.WaitAsync(Patience));

        await a.SendJsonAsync(new Dictionary<string, int> { ["n"] = 1 }, new JsonSerializerOptions());
        Assert.Equal(new Dictionary<string, int> { ["n"] = 1 }, await b.ReceiveJsonAsync<Dictionary<string, int>>().AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task ReceiveJsonAsync_InvalidJson_ThrowsAndTheSocketStaysUsable()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        b.Send("{oops");
        b.Send("[3]");
        await Assert.ThrowsAsync<JsonException>(() => a.ReceiveJsonAsync(TestJsonContext.Default.Int32Array).AsTask());
        Assert.Equal(new[] { 3 }, await a.ReceiveJsonAsync(TestJsonContext.Default.Int32Array).AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task ReceiveJsonAsync_Cancelled_Throws()
    {
        using var pair = new InProcPair();
        var (a, b) = pair;
        using var cancel = new CancellationTokenSource();
        var pending = a.ReceiveJsonAsync(TestJsonContext.Default.Int32Array, cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Patience));
    }
}
