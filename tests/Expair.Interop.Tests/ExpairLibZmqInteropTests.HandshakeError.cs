using Expair.Interop.Tests.Native;
using Microsoft.Extensions.Logging;
using static Expair.SocketEventKind;

namespace Expair.Interop.Tests;

/// <summary>
/// A handshake that ends with ERROR is final (37/ZMTP: a peer that receives ERROR does not reconnect): against a
/// libzmq DEALER, which refuses a PAIR with ERROR "Invalid socket type" as Expair refuses it.
/// </summary>
public sealed partial class ExpairLibZmqInteropTests
{
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ExpairPair_ConnectingToLibZmqDealer_StopsAfterOneAttempt_AndSendsFailWithTheReason(string transport)
    {
        var log = new RecordingLoggerFactory();
        var dealer = Track(new ZmqSocket(LibZmq.DEALER));
        string endpoint = dealer.Bind(BindEndpoint(transport));
        var proxy = Track(NewProxy(transport, endpoint));
        var expair = Track(new PairSocket(TestOptions with { LoggerFactory = log, Linger = TimeSpan.Zero }));
        using var monitor = expair.Monitor();
        expair.Connect(proxy.Endpoint);

        var events = await ReadEventsAsync(monitor, until: ReconnectStopped);
        Assert.True(events.Select(e => e.Kind).SequenceEqual([Connecting, Connected, HandshakeFailed, ReconnectStopped]), string.Join("\n", events));
        var stopped = events[^1];
        // Whichever READY arrived first, the ERROR on the wire says this: the DEALER's, or Expair's own refusal.
        Assert.StartsWith("Invalid socket type", stopped.Reason, StringComparison.Ordinal);
        Assert.Equal(proxy.Endpoint, stopped.Endpoint);

        // A later send fails at once with the reason; without the stop it would wait for the 10 s SendTimeout and
        // throw TimeoutException instead. Receiving (nothing arrived) fails the same way.
        var sendError = Assert.Throws<HandshakeRefusedException>(() => expair.Send("to dealer"));
        Assert.Contains("Invalid socket type", sendError.Message, StringComparison.Ordinal);
        Assert.Contains(proxy.Endpoint, sendError.Message, StringComparison.Ordinal);
        var receiveError = Assert.Throws<HandshakeRefusedException>(() => expair.ReceiveString());
        Assert.Equal(sendError.Message, receiveError.Message);
        Assert.Null(expair.Endpoint); // freed, as with reconnecting off: the socket may connect again
        Assert.False(expair.HasPeer);

        // Exactly one attempt: a retry would come after the 100 ms reconnect interval; watch five times as long.
        Assert.Throws<TimeoutException>(() => proxy.WaitForConnection(1, AbsenceWindow));
        Assert.Single(proxy.Connections);
        var errorLine = Assert.Single(log.Entries, e => e.EventId == RecordingLoggerFactory.ReconnectStoppedEvent);
        Assert.Equal(LogLevel.Error, errorLine.Level);
        Assert.Contains("Invalid socket type", errorLine.Text, StringComparison.Ordinal);
        Assert.False(monitor.TryRead(out var extra), $"More events after the stop: {extra}");
    }
}
