using System.Diagnostics;
using System.Text;
using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>
/// libzmq PAIR talking to libzmq PAIR through the test wrapper. If these fail, the interop tests against
/// Expair cannot be trusted, so they prove the wrapper before it is used as a reference peer.
/// </summary>
public sealed class LibZmqSelfTests : IDisposable
{
    private readonly List<IDisposable> _cleanup = [];

    public void Dispose()
    {
        // Reverse order: monitors before the sockets they watch.
        for (int i = _cleanup.Count - 1; i >= 0; i--)
        {
            _cleanup[i].Dispose();
        }
    }

    [Fact]
    public void Version_IsAtLeast4_2()
    {
        // 4.2 is the first libzmq with ZMTP 3.1 heartbeats (PING/PONG), which the interop tests use.
        Assert.True(LibZmq.Version >= new Version(4, 2), $"libzmq {LibZmq.Version} is older than 4.2");
    }

    [Fact]
    public void Bind_TcpWildcardPort_ReturnsTheBoundPort()
    {
        using var socket = new ZmqSocket(LibZmq.PAIR);

        string endpoint = socket.Bind("tcp://127.0.0.1:*");

        Assert.Matches(@"^tcp://127\.0\.0\.1:[0-9]+$", endpoint);
        Assert.InRange(int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture), 1, 65535);
    }

    [Fact]
    public void Bind_IpcPath_ReturnsThePath()
    {
        using var socket = new ZmqSocket(LibZmq.PAIR);
        string endpoint = IpcEndpoint();

        Assert.Equal(endpoint, socket.Bind(endpoint));
    }

    [Fact]
    public void Bind_UnknownTransport_ThrowsWithLibzmqError()
    {
        using var socket = new ZmqSocket(LibZmq.PAIR);

        var error = Assert.Throws<ZmqException>(() => socket.Bind("bogus://x"));

        const int EPROTONOSUPPORT = 93;
        Assert.Equal(EPROTONOSUPPORT, error.Errno);
        Assert.Equal("zmq_bind(bogus://x) failed: Protocol not supported (errno 93)", error.Message);
    }

    [Fact]
    public void Options_SetThenGet_RoundTrip()
    {
        using var socket = new ZmqSocket(LibZmq.PAIR);

        socket.SetOption(LibZmq.ZMQ_SNDHWM, 7);
        socket.SetOption(LibZmq.ZMQ_HEARTBEAT_IVL, 250);

        Assert.Equal(7, socket.GetOptionInt32(LibZmq.ZMQ_SNDHWM));
        Assert.Equal(250, socket.GetOptionInt32(LibZmq.ZMQ_HEARTBEAT_IVL));
        Assert.Equal(LibZmq.PAIR, socket.GetOptionInt32(LibZmq.ZMQ_TYPE));
    }

    [Fact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        var socket = new ZmqSocket(LibZmq.PAIR);
        socket.Dispose();
        socket.Dispose();

        Assert.True(socket.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => socket.Bind("tcp://127.0.0.1:*"));
    }

    [Fact]
    public void TryReceive_NothingSent_ReturnsFalseAfterTheTimeout()
    {
        var (bound, _) = ConnectedPair("tcp");
        var clock = Stopwatch.StartNew();

        bool received = bound.TryReceive(out List<byte[]> frames, timeoutMs: 200);

        Assert.False(received);
        Assert.Empty(frames);
        Assert.True(clock.ElapsedMilliseconds >= 200, $"returned after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void TrySend_BoundPairWithoutPeer_ReturnsFalseAfterTheTimeout()
    {
        // A bound PAIR has no pipe until a peer connects, so there is nowhere to queue the message.
        using var socket = new ZmqSocket(LibZmq.PAIR);
        socket.Bind("tcp://127.0.0.1:*");
        var clock = Stopwatch.StartNew();

        bool sent = socket.TrySend(new[] { "x"u8.ToArray() }, timeoutMs: 200);

        Assert.False(sent);
        Assert.True(clock.ElapsedMilliseconds >= 200, $"returned after {clock.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void SingleFrame_BothDirections_ArrivesIntact(string transport)
    {
        var (bound, connected) = ConnectedPair(transport);

        connected.Send("hello"u8);
        Assert.Equal(["hello"], Strings(bound.Receive()));

        bound.Send("world"u8);
        Assert.Equal(["world"], Strings(connected.Receive()));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void Multipart_WithEmptyFrames_ArrivesAsOneMessage(string transport)
    {
        var (bound, connected) = ConnectedPair(transport);

        connected.Send(Bytes("first"), [], Bytes("last"));
        connected.Send(new byte[][] { [] });
        bound.Send(Bytes("a"), Bytes("b"), []);

        Assert.Equal(["first", "", "last"], Strings(bound.Receive()));
        Assert.Equal([""], Strings(bound.Receive()));
        Assert.Equal(["a", "b", ""], Strings(connected.Receive()));
        Assert.False(bound.TryReceive(out _, timeoutMs: 0));
        Assert.False(connected.TryReceive(out _, timeoutMs: 0));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void Multipart_SentFrameByFrame_ArrivesAsOneMessage(string transport)
    {
        var (bound, connected) = ConnectedPair(transport);

        connected.Send("one"u8, more: true);
        connected.Send(ReadOnlySpan<byte>.Empty, more: true);
        connected.Send("three"u8);

        Assert.Equal(["one", "", "three"], Strings(bound.Receive()));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void OneMebibyteMessage_ArrivesIntact(string transport)
    {
        var (bound, connected) = ConnectedPair(transport);
        byte[] payload = new byte[1024 * 1024];
        new Random(1234).NextBytes(payload);

        connected.Send(payload);
        List<byte[]> frames = bound.Receive();

        Assert.Single(frames);
        Assert.Equal(payload.Length, frames[0].Length);
        Assert.True(payload.AsSpan().SequenceEqual(frames[0]), "payload differs");
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void ManyMessages_ArriveInOrder(string transport)
    {
        var (bound, connected) = ConnectedPair(transport);

        for (int i = 0; i < 1000; i++)
        {
            connected.Send(BitConverter.GetBytes(i));
        }

        for (int i = 0; i < 1000; i++)
        {
            List<byte[]> frames = bound.Receive();
            Assert.Single(frames);
            Assert.Equal(i, BitConverter.ToInt32(frames[0]));
        }
    }

    [Fact]
    public void Monitor_ReportsHandshakeAndDisconnect()
    {
        var bound = Track(new ZmqSocket(LibZmq.PAIR));
        var monitor = Track(new ZmqMonitor(bound));
        string endpoint = bound.Bind("tcp://127.0.0.1:*");
        var connected = Track(new ZmqSocket(LibZmq.PAIR));
        connected.Connect(endpoint);

        Assert.Equal(endpoint, monitor.WaitFor(LibZmq.ZMQ_EVENT_LISTENING).Endpoint);
        monitor.WaitFor(LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
        connected.Dispose();
        monitor.WaitFor(LibZmq.ZMQ_EVENT_DISCONNECTED);
    }

    /// <summary>A bound and a connected PAIR, connected and both cleaned up after the test.</summary>
    private (ZmqSocket Bound, ZmqSocket Connected) ConnectedPair(string transport)
    {
        var bound = Track(new ZmqSocket(LibZmq.PAIR));
        var connected = Track(new ZmqSocket(LibZmq.PAIR));
        string endpoint = bound.Bind(transport switch
        {
            "tcp" => "tcp://127.0.0.1:*",
            "ipc" => IpcEndpoint(),
            _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
        });
        connected.Connect(endpoint);
        return (bound, connected);
    }

    private string IpcEndpoint()
    {
        // A path of our own (not ipc://*) so the test controls and removes it; well under the 107-byte sun_path limit.
        string path = Path.Combine(Path.GetTempPath(), $"expair-{Guid.NewGuid():N}.sock");
        _cleanup.Add(new FileCleanup(path));
        return "ipc://" + path;
    }

    private T Track<T>(T disposable)
        where T : IDisposable
    {
        _cleanup.Add(disposable);
        return disposable;
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string[] Strings(List<byte[]> frames) => [.. frames.Select(frame => Encoding.UTF8.GetString(frame))];

    private sealed class FileCleanup(string path) : IDisposable
    {
        public void Dispose() => File.Delete(path);
    }
}
