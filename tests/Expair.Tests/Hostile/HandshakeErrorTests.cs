using System.Net;
using System.Net.Sockets;
using Expair.Protocol;

namespace Expair.Tests.Hostile;

/// <summary>
/// 37/ZMTP: a peer that receives ERROR during the handshake does not reconnect. The connecting socket stops, and its
/// blocked and later sends and receives fail with the peer's reason instead of waiting for ever.
/// </summary>
public sealed class HandshakeErrorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>How long a test watches for something that must not happen: five reconnect intervals.</summary>
    private static readonly TimeSpan AbsenceWindow = TimeSpan.FromMilliseconds(500);

    private static byte[] Error(string reason)
    {
        var buffer = new byte[300];
        return buffer[..Commands.WriteError(buffer, reason)];
    }

    [Fact]
    public async Task PeerErrorDuringHandshake_FailsBlockedSendAndReceive_WithTheReason_AndNeverReconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = $"tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        // No timeouts: only the refusal can end the blocked calls.
        using var client = new PairSocket(new PairSocketOptions { SendHighWaterMark = 1, Linger = TimeSpan.Zero });
        using var monitor = client.Monitor();
        client.Connect(endpoint);
        client.Send("queued"); // fills the one-message queue
        var blockedSend = Task.Factory.StartNew(() => client.Send("blocked"), TaskCreationOptions.LongRunning);
        var blockedReceive = Task.Factory.StartNew(() => client.ReceiveString(), TaskCreationOptions.LongRunning);

        using (var peer = await RawPeer.AcceptAsync(listener, Patience))
        {
            Assert.False(blockedSend.IsCompleted || blockedReceive.IsCompleted, "A call ended before the refusal.");
            await peer.SendAsync([.. RawPeer.Greeting(), .. Error("go away")]);

            var sendError = await Assert.ThrowsAsync<HandshakeRefusedException>(() => blockedSend.WaitAsync(Patience));
            Assert.Contains("ERROR \"go away\" (sent by the peer)", sendError.Message, StringComparison.Ordinal);
            Assert.Equal("go away", sendError.Reason);
            Assert.Contains(endpoint, sendError.Message, StringComparison.Ordinal);
            var receiveError = await Assert.ThrowsAsync<HandshakeRefusedException>(() => blockedReceive.WaitAsync(Patience));
            Assert.Equal(sendError.Message, receiveError.Message);
            Assert.Equal(sendError.Message, Assert.Throws<HandshakeRefusedException>(() => client.Send("later")).Message);
            await Assert.ThrowsAsync<HandshakeRefusedException>(async () => await client.SendAsync("later, async"));
            await peer.ReadUntilClosedAsync(Patience);
        }

        var stopped = await NextEventAsync(monitor, SocketEventKind.ReconnectStopped);
        Assert.Equal("go away", stopped.Reason);
        await Assert.ThrowsAsync<TimeoutException>(() => listener.AcceptSocketAsync().WaitAsync(AbsenceWindow));

        // A new Connect starts afresh: its queue takes messages again.
        client.Connect(endpoint);
        Assert.True(client.TrySend("again", TimeSpan.Zero));
    }

    private static async Task<SocketEvent> NextEventAsync(SocketMonitor monitor, SocketEventKind kind)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var socketEvent in monitor.ReadAllAsync(timeout.Token))
        {
            if (socketEvent.Kind == kind)
                return socketEvent;
        }
        throw new InvalidOperationException("the monitor ended");
    }
}
