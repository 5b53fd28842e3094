using Expair.Tests.Events;
using static Expair.SocketEventKind;
using static Expair.Tests.Security.SecureLink;

namespace Expair.Tests.Security;

/// <summary>
/// A socket that binds as the PLAIN or CURVE *client* (docs/security.md, "One limit"): its final command,
/// INITIATE, goes out before the server's READY, so it cannot hold a second peer in line. What the docs promise,
/// checked: a second peer is closed after its handshake instead of waiting, never becomes the peer, never
/// delivers or receives a message, and never disturbs the first, whose round trips go on; once the first
/// leaves, the second's next attempt takes the slot.
/// </summary>
public sealed class BindingClientTests
{
    private const string Refusal = "PAIR socket already has a peer, and a binding PLAIN or CURVE client cannot keep one waiting";
    private static readonly TimeSpan ReconnectInterval = TimeSpan.FromMilliseconds(20);

    [Theory]
    [InlineData("CURVE", "tcp")]
    [InlineData("CURVE", "ipc")]
    [InlineData("PLAIN", "tcp")]
    [InlineData("PLAIN", "ipc")]
    public async Task SecondServer_IsClosedAfterItsHandshake_NeverWaits_FirstUnharmed(string mechanism, string transport)
    {
        var (binderSecurity, serverSecurity) = mechanism == "CURVE" ? (CurveClient(), CurveServer) : (PlainClient, PlainServer);
        using var binder = new PairSocket(Options(binderSecurity) with { MaxWaitingPeers = 4 });
        var binderEvents = new MonitorReading(binder.Monitor());
        var endpoint = binder.Bind(Endpoint(transport));
        using var first = new PairSocket(Options(serverSecurity) with { ReconnectInterval = ReconnectInterval });
        first.Connect(endpoint);
        RoundTrip(first, binder, "first");

        using var second = new PairSocket(Options(serverSecurity) with { ReconnectInterval = ReconnectInterval });
        var secondEvents = new MonitorReading(second.Monitor());
        second.Connect(endpoint);
        Assert.True(second.TrySend("intrusion", TimeSpan.Zero)); // queued: goes out as soon as its handshake completes

        // The second keeps reconnecting; each attempt is closed once its handshake is done, while the first talks on.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var refused = await UntilReasonAsync(binderEvents, Refusal);
            Assert.Equal(HandshakeFailed, refused.Kind);
            await secondEvents.UntilAsync(Disconnected);
            RoundTrip(first, binder, $"during {attempt}");
        }
        Assert.DoesNotContain(binderEvents.Seen, e => e.Kind is PeerKeptWaiting or PeerRefused or WaitingPeerPromoted or Disconnected);
        Assert.False(second.TryReceive(out _, TimeSpan.Zero), "the refused peer received a message");

        // The first leaves: the second's next attempt takes the slot.
        // The second speaks first: the binder answers once the second is its peer (a message sent the moment the
        // first leaves could still go to the first's queue, which 31/EXPAIR destroys with it).
        first.Dispose();
        second.Send("from the second");
        // "intrusion" was queued before any connection; it arrives at most once, on the connection that is accepted.
        var received = binder.ReceiveString();
        Assert.True(received is "from the second" or "intrusion", $"unexpected {received}");
        if (received == "intrusion")
            Assert.Equal("from the second", binder.ReceiveString());
        binder.Send("to the second");
        Assert.Equal("to the second", second.ReceiveString());
        Assert.False(binder.TryReceive(out _, TimeSpan.Zero));
    }

    /// <summary>Reads events until one whose reason is <paramref name="reason"/>; fails after <see cref="Patience"/>.</summary>
    private static async Task<SocketEvent> UntilReasonAsync(MonitorReading events, string reason)
    {
        var deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            var next = await events.NextAsync();
            if (next.Reason == reason)
                return next;
        }
        Assert.Fail($"no event with the reason \"{reason}\" within {Patience.TotalSeconds} s. Events:\n{MonitorReading.Describe(events.Seen.TakeLast(20))}");
        return default;
    }
}
