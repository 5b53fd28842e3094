using Expair.Internal;
using Expair.Tests.Faults;

namespace Expair.Tests.Hostile;

/// <summary>
/// A peer that ignores our ERROR and reconnects at once (NetMQ does, every 300 ms) must not write one warning per
/// attempt: identical warnings are written once per window, and the next one says how many were left out.
/// </summary>
public sealed class RepeatedWarningsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private const string Refusal = "Invalid socket type: peer socket type is DEALER; a PAIR socket only talks to PAIR";

    [Fact]
    public void IdenticalWarnings_AreWrittenOncePerWindow_ThenCounted()
    {
        long nowMs = 0;
        var logs = new LogRecorder();
        var diagnostics = new SocketDiagnostics(logs.CreateLogger("test"), new RepeatedWarnings(TimeSpan.FromSeconds(10), () => nowMs));

        for (var attempt = 0; attempt < 5; attempt++)
            diagnostics.ConnectionFailed($"tcp://127.0.0.1:{40000 + attempt}", Refusal, handshakeComplete: false, peerError: null, accepted: true);
        Assert.Single(logs.Entries);
        Assert.Equal(300, logs.Entries[0].Id);

        // Another reason, or the same one as the peer's ERROR (another event id), is not a repeat; nor is the
        // failure of a connection we made (our reconnect interval paces those).
        diagnostics.ConnectionFailed("tcp://127.0.0.1:40010", "malformed frame during the handshake", handshakeComplete: false, peerError: null, accepted: true);
        diagnostics.ConnectionFailed("tcp://127.0.0.1:40011", "peer sent ERROR: " + Refusal, handshakeComplete: false, peerError: Refusal, accepted: true);
        diagnostics.ConnectionFailed("tcp://127.0.0.1:40012", Refusal, handshakeComplete: false, peerError: null, accepted: false);
        Assert.Equal([300, 300, 301, 300], logs.Entries.Select(e => e.Id));

        nowMs = 9_999; // still within the window
        diagnostics.ConnectionFailed("tcp://127.0.0.1:40013", Refusal, handshakeComplete: false, peerError: null, accepted: true);
        Assert.Equal(4, logs.Entries.Count);

        nowMs = 10_000; // the window passed: the count of those left out, then the warning itself
        diagnostics.ConnectionFailed("tcp://127.0.0.1:40014", Refusal, handshakeComplete: false, peerError: null, accepted: true);
        var entries = logs.Entries;
        Assert.Equal([300, 300, 301, 300, 314, 300], entries.Select(e => e.Id));
        Assert.Equal(5, entries[4].Values["Count"]);
        Assert.Equal(300, entries[4].Values["EventId"]);
        Assert.Equal(Refusal, entries[4].Values["Reason"]);
        Assert.Contains("40014", entries[5].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeerThatReconnectsAfterEachRefusal_GetsOneWarning_AndAnEventPerAttempt()
    {
        const int Attempts = 5;
        var logs = new LogRecorder();
        using var server = new PairSocket(new PairSocketOptions { LoggerFactory = logs });
        using var monitor = server.Monitor();
        var endpoint = server.Bind("tcp://127.0.0.1:*");

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            using var dealer = await RawPeer.ConnectAsync(endpoint);
            await dealer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("DEALER")]);
            await dealer.ReadUntilClosedAsync(Patience); // refused with ERROR and closed
        }

        var failed = 0;
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var socketEvent in monitor.ReadAllAsync(timeout.Token))
        {
            if (socketEvent.Kind == SocketEventKind.HandshakeFailed && ++failed == Attempts)
                break;
        }
        var warning = Assert.Single(logs.Entries, e => e.Id == 300);
        Assert.Contains("DEALER", warning.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Id == 314);
    }
}
