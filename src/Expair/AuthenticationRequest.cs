namespace Expair;

/// <summary>
/// A peer asking to be let in, as an <see cref="IPeerAuthenticator"/> sees it (27/ZAP's request: address,
/// mechanism, credentials). PLAIN requests carry the user name and password, CURVE requests the client's
/// long-term public key, already proved by the handshake to belong to whoever holds its secret key.
/// </summary>
public sealed class AuthenticationRequest
{
    private readonly byte[]? _clientPublicKey;

    /// <summary>A PLAIN request.</summary>
    /// <param name="peerAddress">The peer's address, for example <c>tcp://192.0.2.7:50412</c>.</param>
    /// <param name="userName">The user name the client sent.</param>
    /// <param name="password">The password the client sent.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public AuthenticationRequest(string peerAddress, string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(peerAddress);
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        PeerAddress = peerAddress;
        Mechanism = SecurityMechanism.Plain;
        UserName = userName;
        Password = password;
    }

    /// <summary>A CURVE request.</summary>
    /// <param name="peerAddress">The peer's address, for example <c>tcp://192.0.2.7:50412</c>.</param>
    /// <param name="clientPublicKey">The client's long-term public key (32 bytes).</param>
    /// <exception cref="ArgumentNullException"><paramref name="peerAddress"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="clientPublicKey"/> is not 32 bytes long.</exception>
    public AuthenticationRequest(string peerAddress, ReadOnlySpan<byte> clientPublicKey)
    {
        ArgumentNullException.ThrowIfNull(peerAddress);
        if (clientPublicKey.Length != CurveKeyPair.KeyLength)
            throw new ArgumentException($"A CURVE public key is {CurveKeyPair.KeyLength} bytes, not {clientPublicKey.Length}.", nameof(clientPublicKey));
        PeerAddress = peerAddress;
        Mechanism = SecurityMechanism.Curve;
        _clientPublicKey = clientPublicKey.ToArray();
        ClientPublicKeyZ85 = Z85.Encode(clientPublicKey);
    }

    /// <summary>The peer's address: <c>tcp://host:port</c>, or the <c>ipc://</c> endpoint it came in on.</summary>
    public string PeerAddress { get; }

    /// <summary>The mechanism the peer authenticated with: <see cref="SecurityMechanism.Plain"/> or <see cref="SecurityMechanism.Curve"/>.</summary>
    public SecurityMechanism Mechanism { get; }

    /// <summary>PLAIN: the user name the client sent; null for CURVE.</summary>
    public string? UserName { get; }

    /// <summary>PLAIN: the password the client sent; null for CURVE.</summary>
    public string? Password { get; }

    /// <summary>CURVE: the client's long-term public key (32 bytes); empty for PLAIN.</summary>
    public ReadOnlySpan<byte> ClientPublicKey => _clientPublicKey;

    /// <summary>CURVE: the client's long-term public key as 40 characters of Z85; null for PLAIN.</summary>
    public string? ClientPublicKeyZ85 { get; }

    /// <summary>The address, mechanism and identity (never the password).</summary>
    public override string ToString() => Mechanism == SecurityMechanism.Plain
        ? $"PLAIN user \"{UserName}\" from {PeerAddress}"
        : $"CURVE client {ClientPublicKeyZ85} from {PeerAddress}";
}
