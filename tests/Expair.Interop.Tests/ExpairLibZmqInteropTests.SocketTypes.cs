using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>A PAIR socket talks only to PAIR: libzmq DEALERs are refused in both directions.</summary>
public sealed partial class ExpairLibZmqInteropTests
{
    /// <summary>How long a test watches for something that must not happen.</summary>
    private static readonly TimeSpan AbsenceWindow = TimeSpan.FromMilliseconds(500);

    private const int HandshakeFailedOrDisconnected =
        LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | LibZmq.ZMQ_EVENT_DISCONNECTED;

    [Theory]
    [MemberData(nameof(Transports))]
    public void LibZmqDealer_ConnectingToExpairPair_IsRefused_AndAPairCanConnectAfterwards(string transport)
    {
        var log = new RecordingLoggerFactory();
        var expair = Track(new PairSocket(TestOptions with { LoggerFactory = log }));
        string endpoint = expair.Bind(BindEndpoint(transport));
        // The DEALER goes through a recording relay, to see Expair's answer on the wire. The relay does not pass
        // the DEALER's close on, so the connection can end on Expair's side only if Expair ends it.
        var proxy = Track(NewProxy(transport, endpoint, relayClientClose: false));

        var dealer = Track(new ZmqSocket(LibZmq.DEALER));
        var dealerMonitor = Track(new ZmqMonitor(dealer));
        dealer.Connect(proxy.Endpoint);
        // A connecting DEALER queues at once; the messages would go out right after the handshake.
        dealer.Send("from dealer 1"u8);
        dealer.Send(Bytes("from dealer 2"), Bytes("second frame"));

        // Expair reads the DEALER's READY, answers ERROR "Invalid socket type" (and no READY) and closes.
        var connection = proxy.WaitForConnection(0, Wait);
        Assert.True(connection.TargetClosed.Wait(Wait), "Expair did not close the refused connection.");
        Assert.True(connection.Completion.Wait(Wait), "The refused connection was not closed on the DEALER's side.");
        var fromExpair = Zmtp.Frames(connection.SentByTarget);
        var error = Assert.Single(fromExpair);
        Assert.True(error.IsCommand, $"Expair sent the DEALER a {error}.");
        Assert.Equal("ERROR", error.CommandName);
        Assert.Equal("Invalid socket type", error.ErrorReason);
        // libzmq 4.3.4 reports only the disconnect, and does not retry after a refused handshake.
        dealerMonitor.WaitFor(LibZmq.ZMQ_EVENT_DISCONNECTED);

        var logged = log.WaitFor(RecordingLoggerFactory.ProtocolErrorEvent, e => e.Text.Contains("DEALER", StringComparison.Ordinal));
        Assert.Contains("only talks to PAIR", logged.Text, StringComparison.Ordinal);
        Assert.False(expair.HasPeer, "Expair took the DEALER as its peer.");
        Assert.False(expair.TryReceive(out var leaked, AbsenceWindow), $"Expair delivered a DEALER message: {leaked}");
        Assert.DoesNotContain(log.Entries, e => e.EventId == RecordingLoggerFactory.PeerConnectedEvent);

        // The refusal left the PAIR slot free: a libzmq PAIR connects and talks, the DEALER still open.
        var pair = Track(new ZmqSocket(LibZmq.PAIR));
        pair.Connect(endpoint);
        pair.Send("from pair"u8);
        Assert.Equal("from pair", expair.ReceiveString());
        expair.Send("to pair");
        Assert.Equal(["to pair"], Strings(pair.Receive()));

        // Still nothing from the DEALER, and it got nothing meant for the PAIR.
        Assert.False(expair.TryReceive(out leaked, TimeSpan.Zero), $"Expair delivered a DEALER message: {leaked}");
        Assert.False(dealer.TryReceive(out var toDealer, timeoutMs: 0), $"The DEALER received {toDealer.Count} frames.");
        Assert.All(proxy.Connections, c => Assert.All(Zmtp.Frames(c.SentByTarget), frame => Assert.True(frame.IsCommand, $"Expair sent the DEALER a {frame}.")));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void ExpairPair_ConnectingToLibZmqDealer_RefusesIt(string transport)
    {
        var log = new RecordingLoggerFactory();
        var dealer = Track(new ZmqSocket(LibZmq.DEALER));
        var dealerMonitor = Track(new ZmqMonitor(dealer));
        string endpoint = dealer.Bind(BindEndpoint(transport));
        var proxy = Track(NewProxy(transport, endpoint));
        // Linger zero: the queued message can never be delivered, so closing should not wait for it.
        var expair = Track(new PairSocket(TestOptions with { LoggerFactory = log, Linger = TimeSpan.Zero }));
        expair.Connect(proxy.Endpoint);

        // Expair's send only queues: a connecting PAIR has its queue before it has a connection. If the refused
        // handshake already ended (it races this line), the send fails with the refusal instead (37/ZMTP: no retry).
        try
        {
            expair.Send("to dealer");
        }
        catch (ExpairException e)
        {
            Assert.Contains("Invalid socket type", e.Message, StringComparison.Ordinal);
        }

        // The connection is made, and the handshake fails.
        dealerMonitor.WaitFor(LibZmq.ZMQ_EVENT_ACCEPTED);
        var refusal = dealerMonitor.WaitFor(HandshakeFailedOrDisconnected);
        var logged = log.WaitFor(RecordingLoggerFactory.ProtocolErrorEvent, e => e.Text.Contains("DEALER", StringComparison.Ordinal));
        Assert.Contains("only talks to PAIR", logged.Text, StringComparison.Ordinal);
        var first = proxy.WaitForConnection(0, Wait);
        Assert.True(first.Completion.Wait(Wait), "The refused connection was not closed.");

        Assert.False(
            dealer.TryReceive(out var frames, timeoutMs: (int)AbsenceWindow.TotalMilliseconds),
            $"The DEALER received a message from Expair: [{string.Join(" | ", Strings(frames))}] (libzmq event 0x{refusal.Event:X4}).");
        // The handshake ended with ERROR: Expair stops connecting (37/ZMTP), and a receive with nothing left to read fails.
        log.WaitFor(RecordingLoggerFactory.ReconnectStoppedEvent);
        var refused = Assert.Throws<HandshakeRefusedException>(() => expair.TryReceive(out _, TimeSpan.Zero));
        Assert.Contains("Invalid socket type", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.EventId == RecordingLoggerFactory.PeerConnectedEvent);

        // On the wire, over every attempt: Expair sent READY and maybe ERROR, never a message.
        var attempts = proxy.Connections;
        Assert.NotEmpty(attempts);
        foreach (var attempt in attempts)
        {
            var sent = Zmtp.Frames(attempt.SentByClient);
            Assert.All(sent, frame => Assert.True(frame.IsCommand, $"Expair sent the DEALER a {frame}."));
            Assert.All(sent.Where(f => f.CommandName == "ERROR"), f => Assert.Equal("Invalid socket type", f.ErrorReason));
        }
    }

    /// <summary>A recording relay in front of <paramref name="target"/>, listening on the same transport.</summary>
    private RecordingProxy NewProxy(string transport, string target, bool relayClientClose = true) =>
        new(target, transport == "ipc" ? IpcEndpoint()["ipc://".Length..] : null, relayClientClose);
}
