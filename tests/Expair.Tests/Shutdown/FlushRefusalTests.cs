using Expair.Tests.Events;

namespace Expair.Tests.Shutdown;

/// <summary>
/// FlushAsync on a connecting socket whose handshake ends with ERROR (37/ZMTP): a CURVE server that denies the client
/// answers "400", the client stops for good and its queue is discarded, so the flush throws
/// <see cref="HandshakeRefusedException"/> with the reason, whether it was waiting when the refusal came or called after.
/// </summary>
public sealed class FlushRefusalTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly CurveKeyPair _serverKeys = CurveKeyPair.Generate();
    private readonly CurveKeyPair _allowedKeys = CurveKeyPair.Generate();
    private readonly CurveKeyPair _deniedKeys = CurveKeyPair.Generate();

    public void Dispose()
    {
        _serverKeys.Dispose();
        _allowedKeys.Dispose();
        _deniedKeys.Dispose();
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task FlushAsync_ClientDeniedByCurveAllowList_ThrowsWithTheErrorReason_NothingDelivered(string transport)
    {
        var endpoint = transport == "tcp" ? TestEndpoints.FreeTcp() : $"ipc://{Path.GetTempPath()}expair-refusal-{Guid.NewGuid():N}.sock";
        using var client = new PairSocket(new PairSocketOptions
        {
            Security = SocketSecurity.CurveClient(_serverKeys.PublicKeyZ85, _deniedKeys),
            SendTimeout = Patience,
            Linger = TimeSpan.Zero,
        });
        client.Connect(endpoint); // nothing listens yet: the flush below is waiting when the refusal comes
        client.Send("secret");
        var waiting = client.FlushAsync(Timeout.InfiniteTimeSpan).AsTask();
        Assert.False(waiting.IsCompleted);

        using var server = new PairSocket(new PairSocketOptions
        {
            Security = SocketSecurity.CurveServer(_serverKeys, new CurveAllowList([_allowedKeys.PublicKeyZ85])),
        });
        var serverEvents = new MonitorReading(server.Monitor());
        server.Bind(endpoint);

        // No timeout decides the outcome: the infinite flush ends because of the refusal, or the test fails at Patience.
        var refused = await Assert.ThrowsAsync<HandshakeRefusedException>(() => waiting.WaitAsync(Patience));
        Assert.Equal("400", refused.Reason);
        Assert.True(refused.SentByPeer);
        Assert.Equal(endpoint, refused.Endpoint);
        Assert.Contains("ERROR \"400\" (sent by the peer)", refused.Message, StringComparison.Ordinal);

        // After the refusal: at once, as sends do, until the socket connects again.
        var again = client.FlushAsync(Timeout.InfiniteTimeSpan);
        Assert.True(again.IsCompleted);
        Assert.Equal(refused.Message, (await Assert.ThrowsAsync<HandshakeRefusedException>(() => again.AsTask())).Message);
        Assert.Equal(refused.Message, Assert.Throws<HandshakeRefusedException>(() => client.Send("later")).Message);

        // The server refused the client before it could take the slot: it never had a peer and got nothing.
        Assert.Equal($"CURVE authentication denied: client public key {_deniedKeys.PublicKeyZ85} is not on the allow-list",
            (await serverEvents.UntilAsync(SocketEventKind.HandshakeFailed))[^1].Reason);
        Assert.False(server.HasPeer);
        Assert.False(server.TryReceive(out Message? _, TimeSpan.Zero));
    }
}
