using System.Diagnostics;
using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>
/// A bound Expair PAIR that already has a peer keeps a second one waiting (it withholds its READY) and lets it
/// in as soon as the first leaves.
/// </summary>
public sealed partial class ExpairLibZmqInteropTests
{
    /// <summary>Which implementation a connecting peer is.</summary>
    public enum PeerKind
    {
        LibZmq,
        Expair,
    }

    public static TheoryData<string, PeerKind, PeerKind> TransportsAndPeerKinds
    {
        get
        {
            var data = new TheoryData<string, PeerKind, PeerKind>();
            foreach (string transport in new[] { "tcp", "ipc" })
            {
                data.Add(transport, PeerKind.LibZmq, PeerKind.LibZmq);
                data.Add(transport, PeerKind.LibZmq, PeerKind.Expair);
                data.Add(transport, PeerKind.Expair, PeerKind.LibZmq);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TransportsAndPeerKinds))]
    public void SecondPeer_IsKeptWaitingUntilTheFirstLeaves_ThenTakesOver(string transport, PeerKind first, PeerKind second)
    {
        const int Count = 200;
        var log = new RecordingLoggerFactory();
        var binder = Track(new PairSocket(TestOptions with { LoggerFactory = log }));
        string endpoint = binder.Bind(BindEndpoint(transport));

        // A connects and talks, so it surely holds the PAIR slot before B arrives.
        var a = ConnectPeer(first, endpoint);
        a.Send("hello from A");
        Assert.Equal("hello from A", binder.ReceiveString());
        binder.Send("hello A");
        Assert.Equal("hello A", a.ReceiveString());

        // B connects (through a recording relay, to watch the handshake) and sends at once: its message waits
        // in B's own queue, as B's handshake is held.
        var proxy = Track(NewProxy(transport, endpoint));
        var b = ConnectPeer(second, proxy.Endpoint);
        b.Send("from B");
        log.WaitFor(RecordingLoggerFactory.PeerKeptWaitingEvent);
        var bConnection = proxy.WaitForConnection(0, Wait);

        // A's traffic is undisturbed, in order both ways, and nothing of B's gets in.
        for (int i = 0; i < Count; i++)
        {
            a.Send($"A {i}");
        }

        for (int i = 0; i < Count; i++)
        {
            Assert.Equal($"A {i}", binder.ReceiveString());
        }

        for (int i = 0; i < Count; i++)
        {
            binder.Send($"to A {i}");
        }

        for (int i = 0; i < Count; i++)
        {
            Assert.Equal($"to A {i}", a.ReceiveString());
        }

        Assert.False(binder.TryReceive(out var early, AbsenceWindow), $"Expair received '{early}' while A was still its peer.");
        Assert.False(b.TryReceive(TimeSpan.Zero, out string? toB), $"B received '{toB}' while it was kept waiting.");
        // On the wire: Expair sent B its greeting and nothing more (no READY), and B got no message through.
        Assert.Equal(Zmtp.GreetingSize, bConnection.SentByTarget.Length);
        Assert.DoesNotContain(Zmtp.Frames(bConnection.SentByClient), frame => !frame.IsCommand);

        // A leaves; B takes the slot at once and its queued message comes through.
        var clock = Stopwatch.StartNew();
        a.Close();
        Assert.Equal("from B", binder.ReceiveString());
        Assert.True(clock.ElapsedMilliseconds < 2000, $"B's message arrived {clock.ElapsedMilliseconds} ms after A closed.");
        log.WaitFor(RecordingLoggerFactory.WaitingPeerPromotedEvent);
        Assert.Equal("READY", Zmtp.Frames(bConnection.SentByTarget)[0].CommandName);
        Assert.Single(proxy.Connections); // B was held on its first connection, not refused and retried

        binder.Send("to B");
        Assert.Equal("to B", b.ReceiveString());
        b.Send("B again");
        Assert.Equal("B again", binder.ReceiveString());
    }

    private IPeerSocket ConnectPeer(PeerKind kind, string endpoint)
    {
        IPeerSocket peer = kind switch
        {
            PeerKind.LibZmq => new LibZmqPeer(new ZmqSocket(LibZmq.PAIR)),
            PeerKind.Expair => new ExpairPeer(new PairSocket(TestOptions with { Linger = TimeSpan.Zero })),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        Track(peer);
        peer.Connect(endpoint);
        return peer;
    }

    /// <summary>The few operations the second-peer test needs, on either implementation.</summary>
    private interface IPeerSocket : IDisposable
    {
        void Connect(string endpoint);

        void Send(string text);

        string ReceiveString();

        bool TryReceive(TimeSpan timeout, out string? text);

        /// <summary>Closes at once, dropping anything unsent (libzmq: linger 0).</summary>
        void Close();
    }

    private sealed class LibZmqPeer(ZmqSocket socket) : IPeerSocket
    {
        public void Connect(string endpoint) => socket.Connect(endpoint);

        public void Send(string text) => socket.Send(Bytes(text));

        public string ReceiveString() => Assert.Single(Strings(socket.Receive()));

        public bool TryReceive(TimeSpan timeout, out string? text)
        {
            bool received = socket.TryReceive(out List<byte[]> frames, (int)timeout.TotalMilliseconds);
            text = received ? string.Join(" | ", Strings(frames)) : null;
            return received;
        }

        public void Close() => socket.Close(lingerMs: 0);

        public void Dispose() => socket.Dispose();
    }

    private sealed class ExpairPeer(PairSocket socket) : IPeerSocket
    {
        public void Connect(string endpoint) => socket.Connect(endpoint);

        public void Send(string text) => socket.Send(text);

        public string ReceiveString() => socket.ReceiveString();

        public bool TryReceive(TimeSpan timeout, out string? text)
        {
            bool received = socket.TryReceive(out var message, timeout);
            text = message?.ToString();
            message?.Dispose();
            return received;
        }

        // Created with Linger zero.
        public void Close() => socket.Dispose();

        public void Dispose() => socket.Dispose();
    }
}
