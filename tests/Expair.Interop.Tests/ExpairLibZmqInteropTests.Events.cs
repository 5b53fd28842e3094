using Expair.Interop.Tests.Native;
using static Expair.SocketEventKind;

namespace Expair.Interop.Tests;

/// <summary>Expair's socket events, exact and in order, with a real libzmq PAIR on the other side.</summary>
public sealed partial class ExpairLibZmqInteropTests
{
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Events_ExpairBinds_LibZmqConnectsTalksAndLeaves_ExactSequence(string transport)
    {
        var expair = new PairSocket(TestOptions);
        using var monitor = expair.Monitor();
        string endpoint = expair.Bind(BindEndpoint(transport));
        var zmq = new ZmqSocket(LibZmq.PAIR);
        zmq.Connect(endpoint);
        zmq.Send("hello"u8);
        Assert.Equal("hello", expair.ReceiveString());
        zmq.Close();
        var seen = await ReadEventsAsync(monitor, until: Disconnected);
        expair.Dispose();
        seen.AddRange(await ReadEventsAsync(monitor, until: null));

        Assert.True(
            seen.Select(e => e.Kind).SequenceEqual([Listening, Accepted, HandshakeSucceeded, Disconnected, Closed]),
            string.Join("\n", seen));
        Assert.Equal("peer closed the connection", seen[3].Reason);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Events_ExpairConnectsToLibZmq_ThenCloses_ExactSequence(string transport)
    {
        var zmq = Track(new ZmqSocket(LibZmq.PAIR));
        string endpoint = zmq.Bind(BindEndpoint(transport));
        var expair = new PairSocket(TestOptions);
        using var monitor = expair.Monitor();
        expair.Connect(endpoint);
        expair.Send("hello");
        Assert.Equal(["hello"], Strings(zmq.Receive()));
        var seen = await ReadEventsAsync(monitor, until: HandshakeSucceeded);
        expair.Dispose();
        seen.AddRange(await ReadEventsAsync(monitor, until: null));

        Assert.True(
            seen.Select(e => e.Kind).SequenceEqual([Connecting, Connected, HandshakeSucceeded, Disconnected, Closed]),
            string.Join("\n", seen));
        Assert.Equal("disconnecting", seen[3].Reason);
    }

    /// <summary>Reads up to and including the first <paramref name="until"/> event, or to the end when null.</summary>
    private static async Task<List<SocketEvent>> ReadEventsAsync(SocketMonitor monitor, SocketEventKind? until)
    {
        var read = new List<SocketEvent>();
        using var timeout = new CancellationTokenSource(Wait);
        await foreach (var socketEvent in monitor.ReadAllAsync(timeout.Token))
        {
            read.Add(socketEvent);
            if (socketEvent.Kind == until)
            {
                break;
            }
        }

        return read;
    }
}
