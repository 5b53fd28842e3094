using System.Text;
using Expair.Protocol.Mechanisms;

namespace Expair;

/// <summary>
/// The security mechanism of a socket and its credentials, set as <see cref="PairSocketOptions.Security"/>.
/// Made only by the factory methods below, each of which validates its arguments, so a half-configured
/// mechanism cannot exist. Both sides must use the same mechanism, one as server and one as client; which
/// side binds does not matter. See docs/security.md.
/// </summary>
/// <example>
/// <code>
/// using var serverKeys = CurveKeyPair.Generate();       // the client is given serverKeys.PublicKeyZ85
/// var server = new PairSocket(new PairSocketOptions
/// {
///     Security = SocketSecurity.CurveServer(serverKeys, new CurveAllowList([clientPublicKeyZ85])),
/// });
/// var client = new PairSocket(new PairSocketOptions { Security = SocketSecurity.CurveClient(serverPublicKeyZ85, clientKeys) });
/// </code>
/// </example>
public abstract class SocketSecurity
{
    /// <summary>PLAIN's user name and password are each at most 255 bytes (a one-byte length, 24/ZMTP-PLAIN).</summary>
    internal const int MaxPlainFieldBytes = 255;

    private protected SocketSecurity()
    {
    }

    /// <summary>The NULL mechanism: no authentication and no encryption (the default, as in libzmq).</summary>
    public static SocketSecurity Null { get; } = new NullSecurity();

    /// <summary>The mechanism this side speaks.</summary>
    public abstract SecurityMechanism Mechanism { get; }

    /// <summary>Whether this side is the mechanism's server (the side that authenticates clients). False for NULL.</summary>
    public abstract bool IsServer { get; }

    /// <summary>The authenticator a server asks about each client; null for clients and for a CURVE server accepting any client.</summary>
    public virtual IPeerAuthenticator? Authenticator => null;

    /// <summary>
    /// A CURVE server that lets in the clients <paramref name="authenticator"/> allows (for example a
    /// <see cref="CurveAllowList"/>). Clients must know <paramref name="serverKeys"/>' public key.
    /// </summary>
    /// <param name="serverKeys">The server's long-term pair (libzmq's <c>ZMQ_CURVE_SECRETKEY</c>); the
    /// application keeps it alive while the socket runs.</param>
    /// <param name="authenticator">Decides about each client's public key.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="serverKeys"/> was disposed.</exception>
    public static SocketSecurity CurveServer(CurveKeyPair serverKeys, IPeerAuthenticator authenticator)
    {
        ArgumentNullException.ThrowIfNull(authenticator);
        return new CurveServerSecurity(CheckPair(serverKeys, nameof(serverKeys)), authenticator);
    }

    /// <summary>
    /// A CURVE server that lets in every client, whatever its key: traffic is encrypted and clients know they
    /// reach the right server, but anyone who knows the server's public key can connect (26/CurveZMQ's first
    /// model). libzmq does this silently whenever no ZAP handler runs; Expair asks for it by name.
    /// </summary>
    /// <param name="serverKeys">The server's long-term pair; the application keeps it alive while the socket runs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="serverKeys"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="serverKeys"/> was disposed.</exception>
    public static SocketSecurity CurveServerAcceptingAnyClient(CurveKeyPair serverKeys) =>
        new CurveServerSecurity(CheckPair(serverKeys, nameof(serverKeys)), authenticator: null);

    /// <summary>A CURVE client of the server whose long-term public key is <paramref name="serverPublicKey"/>.</summary>
    /// <param name="serverPublicKey">The server's public key, 32 bytes (libzmq's <c>ZMQ_CURVE_SERVERKEY</c>).</param>
    /// <param name="clientKeys">This client's long-term pair, which the server may check; null makes a fresh
    /// pair for each socket (fine for a server accepting any client). The application keeps it alive while the socket runs.</param>
    /// <exception cref="ArgumentException"><paramref name="serverPublicKey"/> is not 32 bytes long.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="clientKeys"/> was disposed.</exception>
    public static SocketSecurity CurveClient(ReadOnlySpan<byte> serverPublicKey, CurveKeyPair? clientKeys = null)
    {
        if (serverPublicKey.Length != CurveKeyPair.KeyLength)
            throw new ArgumentException($"The CURVE server's public key is {CurveKeyPair.KeyLength} bytes, not {serverPublicKey.Length}.", nameof(serverPublicKey));
        return new CurveClientSecurity(serverPublicKey.ToArray(), clientKeys is null ? null : CheckPair(clientKeys, nameof(clientKeys)));
    }

    /// <summary>A CURVE client of the server whose long-term public key is <paramref name="serverPublicKeyZ85"/>.</summary>
    /// <param name="serverPublicKeyZ85">The server's public key in 40 characters of Z85.</param>
    /// <param name="clientKeys">This client's long-term pair; null makes a fresh pair for each socket.</param>
    /// <exception cref="ArgumentNullException"><paramref name="serverPublicKeyZ85"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="serverPublicKeyZ85"/> is not 40 characters of valid Z85.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="clientKeys"/> was disposed.</exception>
    public static SocketSecurity CurveClient(string serverPublicKeyZ85, CurveKeyPair? clientKeys = null)
    {
        ArgumentNullException.ThrowIfNull(serverPublicKeyZ85);
        Span<byte> key = stackalloc byte[CurveKeyPair.KeyLength];
        CurveKeyPair.DecodeKey(serverPublicKeyZ85, key, "server public key");
        return CurveClient(key, clientKeys);
    }

    /// <summary>
    /// A PLAIN server: <paramref name="authenticator"/> (for example <see cref="PlainCredentials"/>) checks each
    /// client's user name and password. PLAIN sends them in clear text: use it on trusted networks only.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="authenticator"/> is null: a PLAIN server without
    /// one would have nobody to check passwords.</exception>
    public static SocketSecurity PlainServer(IPeerAuthenticator authenticator)
    {
        ArgumentNullException.ThrowIfNull(authenticator);
        return new PlainServerSecurity(authenticator);
    }

    /// <summary>A PLAIN client logging in with <paramref name="userName"/> and <paramref name="password"/> (sent in clear text).</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">An argument is longer than 255 bytes in UTF-8.</exception>
    public static SocketSecurity PlainClient(string userName, string password)
    {
        CheckPlainField(userName, "user name", nameof(userName));
        CheckPlainField(password, "password", nameof(password));
        return new PlainClientSecurity(userName, password);
    }

    /// <summary>
    /// The security one socket uses: the same, except that a CURVE client without its own pair gets a fresh one
    /// here, so that every connection of the socket presents the same client key. Called once per socket.
    /// </summary>
    internal virtual SocketSecurity ForSocket() => this;

    /// <summary>The socket that called <see cref="ForSocket"/> has closed: zero what was made for it alone.</summary>
    internal virtual void ReleaseForSocket()
    {
    }

    /// <summary>A new mechanism for one connection, sending <paramref name="localProperties"/> as its metadata.</summary>
    internal abstract IMechanism CreateMechanism(IReadOnlyList<KeyValuePair<string, string>> localProperties);

    /// <summary>The mechanism and role, for logs (never a secret).</summary>
    public override string ToString() => Mechanism == SecurityMechanism.Null
        ? "NULL"
        : $"{Mechanism.ToString().ToUpperInvariant()} {(IsServer ? "server" : "client")}";

    internal static void CheckPlainField(string? value, string what, string parameter)
    {
        ArgumentNullException.ThrowIfNull(value, parameter);
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > MaxPlainFieldBytes)
            throw new ArgumentException($"A PLAIN {what} is at most {MaxPlainFieldBytes} bytes in UTF-8, not {bytes}.", parameter);
    }

    private static CurveKeyPair CheckPair(CurveKeyPair? pair, string parameter)
    {
        ArgumentNullException.ThrowIfNull(pair, parameter);
        _ = pair.SecretKey; // throws ObjectDisposedException for a zeroed pair
        return pair;
    }
}

/// <summary>NULL (37/ZMTP): no credentials.</summary>
internal sealed class NullSecurity : SocketSecurity
{
    public override SecurityMechanism Mechanism => SecurityMechanism.Null;

    public override bool IsServer => false;

    internal override IMechanism CreateMechanism(IReadOnlyList<KeyValuePair<string, string>> localProperties) => new NullMechanism(localProperties);
}

/// <summary>A CURVE server's long-term pair and its authenticator (null: any client key is accepted).</summary>
internal sealed class CurveServerSecurity(CurveKeyPair serverKeys, IPeerAuthenticator? authenticator) : SocketSecurity
{
    public CurveKeyPair ServerKeys { get; } = serverKeys;

    public override IPeerAuthenticator? Authenticator { get; } = authenticator;

    public override SecurityMechanism Mechanism => SecurityMechanism.Curve;

    public override bool IsServer => true;

    internal override IMechanism CreateMechanism(IReadOnlyList<KeyValuePair<string, string>> localProperties) =>
        CurveMechanism.Server(ServerKeys.PublicKey, ServerKeys.SecretKey, authenticate: Authenticator is not null, localProperties);
}

/// <summary>A CURVE client's view of the server's public key and its own pair (null: a fresh pair per socket).</summary>
internal sealed class CurveClientSecurity(byte[] serverPublicKey, CurveKeyPair? clientKeys, bool ownsClientKeys = false) : SocketSecurity
{
    public ReadOnlySpan<byte> ServerPublicKey => serverPublicKey;

    public CurveKeyPair? ClientKeys { get; } = clientKeys;

    public override SecurityMechanism Mechanism => SecurityMechanism.Curve;

    public override bool IsServer => false;

    internal override SocketSecurity ForSocket() =>
        ClientKeys is null ? new CurveClientSecurity(serverPublicKey, CurveKeyPair.Generate(), ownsClientKeys: true) : this;

    internal override void ReleaseForSocket()
    {
        if (ownsClientKeys)
            ClientKeys?.Dispose();
    }

    internal override IMechanism CreateMechanism(IReadOnlyList<KeyValuePair<string, string>> localProperties)
    {
        var keys = ClientKeys ?? throw new InvalidOperationException("ForSocket gives a CURVE client its pair before connections are made.");
        return CurveMechanism.Client(ServerPublicKey, keys.PublicKey, keys.SecretKey, localProperties);
    }
}

/// <summary>A PLAIN server and the authenticator that checks the passwords.</summary>
internal sealed class PlainServerSecurity(IPeerAuthenticator authenticator) : SocketSecurity
{
    public override IPeerAuthenticator Authenticator { get; } = authenticator;

    public override SecurityMechanism Mechanism => SecurityMechanism.Plain;

    public override bool IsServer => true;

    internal override IMechanism CreateMechanism(IReadOnlyList<KeyValuePair<string, string>> localProperties) => PlainMechanism.Server(localProperties);
}

/// <summary>A PLAIN client's user name and password.</summary>
internal sealed class PlainClientSecurity(string userName, string password) : SocketSecurity
{
    public string UserName { get; } = userName;

    public string Password { get; } = password;

    public override SecurityMechanism Mechanism => SecurityMechanism.Plain;

    public override bool IsServer => false;

    internal override IMechanism CreateMechanism(IReadOnlyList<KeyValuePair<string, string>> localProperties) => PlainMechanism.Client(UserName, Password, localProperties);
}
