namespace Expair;

/// <summary>
/// An <see cref="IPeerAuthenticator"/> for CURVE servers that lets in exactly the clients whose long-term
/// public keys it lists (26/CurveZMQ's "each client has its own key, that the server checks"). Any other
/// client, and any peer using another mechanism, is denied. Immutable; build a new list to change it.
/// </summary>
public sealed class CurveAllowList : IPeerAuthenticator
{
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    /// <summary>A list of public keys in 40-character Z85 text.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="publicKeysZ85"/> or one of its keys is null.</exception>
    /// <exception cref="FormatException">A key is not 40 characters of valid Z85.</exception>
    public CurveAllowList(IEnumerable<string> publicKeysZ85)
    {
        ArgumentNullException.ThrowIfNull(publicKeysZ85);
        Span<byte> key = stackalloc byte[CurveKeyPair.KeyLength];
        foreach (var text in publicKeysZ85)
        {
            ArgumentNullException.ThrowIfNull(text, nameof(publicKeysZ85));
            CurveKeyPair.DecodeKey(text, key, "public key");
            _keys.Add(Z85.Encode(key));
        }
    }

    /// <summary>A list of public keys of 32 bytes each.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="publicKeys"/> or one of its keys is null.</exception>
    /// <exception cref="ArgumentException">A key is not 32 bytes long.</exception>
    public CurveAllowList(IEnumerable<byte[]> publicKeys)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        foreach (var key in publicKeys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(publicKeys));
            if (key.Length != CurveKeyPair.KeyLength)
                throw new ArgumentException($"A CURVE public key is {CurveKeyPair.KeyLength} bytes, not {key.Length}.", nameof(publicKeys));
            _keys.Add(Z85.Encode(key));
        }
    }

    /// <summary>How many distinct keys the list holds.</summary>
    public int Count => _keys.Count;

    /// <summary>Whether <paramref name="publicKey"/> (32 bytes) is on the list.</summary>
    public bool Contains(ReadOnlySpan<byte> publicKey) =>
        publicKey.Length == CurveKeyPair.KeyLength && _keys.Contains(Z85.Encode(publicKey));

    /// <summary>Allows a CURVE client whose public key is listed; denies everyone else.</summary>
    public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Mechanism != SecurityMechanism.Curve)
            return ValueTask.FromResult(AuthenticationResult.Deny($"the CURVE allow-list admits CURVE clients only, not {request.Mechanism.ToString().ToUpperInvariant()}"));
        return ValueTask.FromResult(_keys.Contains(request.ClientPublicKeyZ85!)
            ? AuthenticationResult.Allow
            : AuthenticationResult.Deny($"client public key {request.ClientPublicKeyZ85} is not on the allow-list"));
    }
}
