using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Tests.Security;

/// <summary>
/// What the socket-level security tests share: one set of CURVE keys for the process (never disposed: tests in
/// parallel use them), the PLAIN credentials, socket options with bounded waits, endpoints, and round trips.
/// </summary>
internal static class SecureLink
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static readonly CurveKeyPair ServerKeys = CurveKeyPair.Generate();

    /// <summary>The client key every CURVE server here allows.</summary>
    public static readonly CurveKeyPair ClientKeys = CurveKeyPair.Generate();

    /// <summary>A second allowed client key, for a healthy peer beside a hostile one that uses <see cref="ClientKeys"/>.</summary>
    public static readonly CurveKeyPair HealthyKeys = CurveKeyPair.Generate();

    /// <summary>A key nobody allows or expects.</summary>
    public static readonly CurveKeyPair OtherKeys = CurveKeyPair.Generate();

    public const string User = "worker";
    public const string Password = "s3cret";

    public static SocketSecurity CurveServer => SocketSecurity.CurveServer(ServerKeys, new CurveAllowList([ClientKeys.PublicKeyZ85, HealthyKeys.PublicKeyZ85]));

    public static SocketSecurity CurveClient(CurveKeyPair? keys = null) => SocketSecurity.CurveClient(ServerKeys.PublicKeyZ85, keys ?? ClientKeys);

    public static SocketSecurity PlainServer => SocketSecurity.PlainServer(new PlainCredentials([new(User, Password)]));

    public static SocketSecurity PlainClient => SocketSecurity.PlainClient(User, Password);

    public static PairSocketOptions Options(SocketSecurity security) => new()
    {
        Security = security,
        SendTimeout = Patience,
        ReceiveTimeout = Patience,
        Linger = TimeSpan.Zero,
    };

    public static string Endpoint(string transport) =>
        transport == "tcp" ? "tcp://127.0.0.1:*" : $"ipc:///tmp/expair-secure-{Guid.NewGuid():N}.sock";

    public static void RoundTrip(PairSocket client, PairSocket server, string text)
    {
        client.Send($"{text} ping");
        Assert.Equal($"{text} ping", server.ReceiveString());
        server.Send($"{text} pong");
        Assert.Equal($"{text} pong", client.ReceiveString());
    }

    public static byte[] Wrap(CurveTraffic traffic, ReadOnlySpan<byte> payload, FrameFlags flags = FrameFlags.None)
    {
        var wire = new byte[CurveTraffic.WrappedLength(payload.Length)];
        traffic.Wrap(flags, payload, wire);
        return wire;
    }

    public static byte[] Unwrap(CurveTraffic traffic, byte[] wire)
    {
        var payload = new byte[CurveTraffic.UnwrappedLength(wire.Length)];
        return payload[..traffic.Unwrap(wire, payload, out _)];
    }
}
