using Expair.Internal;

namespace Expair;

/// <summary>
/// A CURVE long-term key pair (26/CurveZMQ's permanent keys: Curve25519, 32 bytes each), as 32-byte spans or
/// 40-character Z85 text. Interchangeable with libzmq's <c>zmq_curve_keypair</c> and pyzmq's
/// <c>zmq.curve_keypair()</c>. The secret key lives in memory the garbage collector never moves, and
/// <see cref="Dispose"/> zeroes it; the application owns the pair, so dispose it after the sockets using it.
/// </summary>
public sealed class CurveKeyPair : IDisposable
{
    /// <summary>The length of a CURVE key in bytes.</summary>
    public const int KeyLength = Sodium.KeyLength;

    /// <summary>The length of a CURVE key in Z85 text.</summary>
    public const int Z85KeyLength = KeyLength / 4 * 5;

    private readonly byte[] _publicKey;
    private readonly byte[] _secretKey;
    private volatile bool _disposed;

    private CurveKeyPair(byte[] publicKey, byte[] secretKey)
    {
        _publicKey = publicKey;
        _secretKey = secretKey;
        PublicKeyZ85 = Z85.Encode(publicKey);
    }

    /// <summary>A fresh random key pair from libsodium (the system's secure random source).</summary>
    public static CurveKeyPair Generate()
    {
        var publicKey = new byte[KeyLength];
        var secretKey = NewSecretBuffer();
        Sodium.BoxKeyPair(publicKey, secretKey);
        return new CurveKeyPair(publicKey, secretKey);
    }

    /// <summary>The pair of a 32-byte secret key; the public key is derived from it (as libzmq's <c>zmq_curve_public</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="secretKey"/> is not 32 bytes long.</exception>
    public static CurveKeyPair FromSecretKey(ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length != KeyLength)
            throw new ArgumentException($"A CURVE secret key is {KeyLength} bytes, not {secretKey.Length}.", nameof(secretKey));
        var secret = NewSecretBuffer();
        secretKey.CopyTo(secret);
        var publicKey = new byte[KeyLength];
        Sodium.PublicKeyOf(secret, publicKey);
        return new CurveKeyPair(publicKey, secret);
    }

    /// <summary>The pair of a secret key in 40-character Z85 text; the public key is derived from it.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="secretKeyZ85"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="secretKeyZ85"/> is not 40 characters of valid Z85.</exception>
    public static CurveKeyPair FromSecretKey(string secretKeyZ85)
    {
        ArgumentNullException.ThrowIfNull(secretKeyZ85);
        Span<byte> secret = stackalloc byte[KeyLength];
        try
        {
            DecodeKey(secretKeyZ85, secret, "secret key");
            return FromSecretKey(secret);
        }
        finally
        {
            Sodium.Zero(secret);
        }
    }

    /// <summary>The public key (32 bytes): give it to the peers that must recognise this side.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>The public key as 40 characters of Z85 text.</summary>
    public string PublicKeyZ85 { get; }

    /// <summary>The secret key (32 bytes). Keep it private: whoever has it can pose as this side.</summary>
    /// <exception cref="ObjectDisposedException">The pair was disposed (the key has been zeroed).</exception>
    public ReadOnlySpan<byte> SecretKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _secretKey;
        }
    }

    /// <summary>
    /// The secret key as 40 characters of Z85 text, for storing it (as <c>expair keygen</c> prints it). The
    /// string cannot be zeroed afterwards; <see cref="Z85.Encode(ReadOnlySpan{byte}, Span{char})"/> with
    /// <see cref="SecretKey"/> writes it to a buffer instead.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The pair was disposed.</exception>
    public string GetSecretKeyZ85() => Z85.Encode(SecretKey);

    /// <summary>Decodes a 40-character Z85 CURVE key, with a message naming <paramref name="what"/> when it is not one.</summary>
    internal static void DecodeKey(ReadOnlySpan<char> z85, Span<byte> key, string what)
    {
        if (z85.Length != Z85KeyLength)
            throw new FormatException($"A CURVE {what} in Z85 is {Z85KeyLength} characters, not {z85.Length}.");
        try
        {
            Z85.Decode(z85, key);
        }
        catch (FormatException e)
        {
            throw new FormatException($"The CURVE {what} is not valid Z85: {e.Message}", e);
        }
    }

    /// <summary>Zeroes the secret key (sodium_memzero). The public key stays readable.</summary>
    public void Dispose()
    {
        _disposed = true;
        Sodium.Zero(_secretKey);
    }

    /// <summary>Names the pair by its public key; never shows the secret key.</summary>
    public override string ToString() => $"CurveKeyPair {PublicKeyZ85}";

    private static byte[] NewSecretBuffer() => Sodium.AllocateSecret(KeyLength);
}
