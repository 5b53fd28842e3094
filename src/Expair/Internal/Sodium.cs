using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Expair.Internal;

/// <summary>
/// The libsodium calls CURVE needs (26/CurveZMQ: crypto_box is X25519 + XSalsa20-Poly1305, the cookie a
/// crypto_secretbox), from the Linux distribution's libsodium when it has one, else the native builds of the
/// <c>libsodium</c> package (see <see cref="Resolve"/>). Crypto is never written here:
/// these wrappers only check lengths and pass spans. Boxes use the "easy"/"detached" layouts: a 16-byte MAC
/// then the ciphertext, which is NaCl's box with its 16 leading zero bytes left out, as CurveZMQ sends it.
/// </summary>
internal static unsafe partial class Sodium
{
    /// <summary>crypto_box public and secret key length.</summary>
    public const int KeyLength = 32;

    /// <summary>crypto_box_beforenm's precomputed shared key length, and crypto_secretbox's key length.</summary>
    public const int SharedKeyLength = 32;

    /// <summary>crypto_box and crypto_secretbox nonce length.</summary>
    public const int NonceLength = 24;

    /// <summary>How much longer a box is than the plain text it holds (the Poly1305 MAC).</summary>
    public const int MacLength = 16;

    private const string Library = "libsodium";

    /// <summary>
    /// The soname of libsodium's 1.0.x ABI as Linux distributions ship it (Debian's libsodium23, Fedora's
    /// libsodium); every function bound here is in 1.0.18, the oldest release with that soname still shipped.
    /// </summary>
    internal const string SystemLibrary = "libsodium.so.23";

    static Sodium()
    {
        NativeLibrary.SetDllImportResolver(typeof(Sodium).Assembly, Resolve);
        // sodium_init: 0 on the first call, 1 when already done, -1 on failure (no usable random source).
        if (sodium_init() < 0)
            throw new InvalidOperationException("libsodium failed to initialise (sodium_init returned -1).");
    }

    /// <summary>Where libsodium was loaded from: the system's <see cref="SystemLibrary"/>, or null for the package's own build.</summary>
    internal static string? LoadedSystemLibrary { get; private set; }

    /// <summary>
    /// On Linux, the distribution's libsodium when it has one: the copy its security updates patch, the one libzmq
    /// uses, and a faster build than the package's (docs/design-decisions.md). Elsewhere, or
    /// without one, the package's native build (returning zero lets the runtime probe for it as usual). Every other
    /// library this assembly imports is probed as usual too.
    /// </summary>
    private static IntPtr Resolve(string libraryName, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != Library || !OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(SystemLibrary, out var handle))
            return IntPtr.Zero;
        LoadedSystemLibrary = SystemLibrary;
        return handle;
    }

    /// <summary>Makes sure libsodium is loaded and initialised; throws when the native library cannot be used.</summary>
    public static void EnsureInitialized()
    {
        // The static constructor ran on the way here.
    }

    /// <summary>
    /// A buffer for secret bytes: pinned, so no garbage collection leaves a copy behind in memory it moved the
    /// array from. Zero it with <see cref="Zero"/> when done.
    /// </summary>
    public static byte[] AllocateSecret(int length) => GC.AllocateArray<byte>(length, pinned: true);

    /// <summary>A fresh random key pair.</summary>
    public static void BoxKeyPair(Span<byte> publicKey, Span<byte> secretKey)
    {
        CheckLength(publicKey.Length, KeyLength, nameof(publicKey));
        CheckLength(secretKey.Length, KeyLength, nameof(secretKey));
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
            Check(crypto_box_keypair(pk, sk), "crypto_box_keypair");
    }

    /// <summary>The public key of a secret key (X25519 base point multiplication, as zmq_curve_public does).</summary>
    public static void PublicKeyOf(ReadOnlySpan<byte> secretKey, Span<byte> publicKey)
    {
        CheckLength(secretKey.Length, KeyLength, nameof(secretKey));
        CheckLength(publicKey.Length, KeyLength, nameof(publicKey));
        fixed (byte* sk = secretKey)
        fixed (byte* pk = publicKey)
            Check(crypto_scalarmult_base(pk, sk), "crypto_scalarmult_base");
    }

    /// <summary>
    /// crypto_box_beforenm: the shared key of <paramref name="publicKey"/> and <paramref name="secretKey"/>.
    /// False when the public key is a weak point (the shared secret would be all zeros).
    /// </summary>
    public static bool BoxBeforeNm(Span<byte> sharedKey, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> secretKey)
    {
        CheckLength(sharedKey.Length, SharedKeyLength, nameof(sharedKey));
        CheckLength(publicKey.Length, KeyLength, nameof(publicKey));
        CheckLength(secretKey.Length, KeyLength, nameof(secretKey));
        fixed (byte* k = sharedKey)
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
            return crypto_box_beforenm(k, pk, sk) == 0;
    }

    /// <summary>
    /// crypto_box_easy: boxes <paramref name="message"/> into <paramref name="box"/> (exactly
    /// <see cref="MacLength"/> bytes longer) from <paramref name="secretKey"/> to <paramref name="publicKey"/>.
    /// False when the public key is a weak point.
    /// </summary>
    public static bool Box(Span<byte> box, ReadOnlySpan<byte> message, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> secretKey)
    {
        CheckLength(box.Length, message.Length + MacLength, nameof(box));
        CheckLength(nonce.Length, NonceLength, nameof(nonce));
        CheckLength(publicKey.Length, KeyLength, nameof(publicKey));
        CheckLength(secretKey.Length, KeyLength, nameof(secretKey));
        fixed (byte* c = box)
        fixed (byte* m = message)
        fixed (byte* n = nonce)
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
            return crypto_box_easy(c, m, (ulong)message.Length, n, pk, sk) == 0;
    }

    /// <summary>crypto_box_open_easy: false when the box does not open (forged, altered, or the wrong keys or nonce).</summary>
    public static bool BoxOpen(Span<byte> message, ReadOnlySpan<byte> box, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> secretKey)
    {
        if (box.Length < MacLength)
            return false;
        CheckLength(message.Length, box.Length - MacLength, nameof(message));
        CheckLength(nonce.Length, NonceLength, nameof(nonce));
        CheckLength(publicKey.Length, KeyLength, nameof(publicKey));
        CheckLength(secretKey.Length, KeyLength, nameof(secretKey));
        fixed (byte* m = message)
        fixed (byte* c = box)
        fixed (byte* n = nonce)
        fixed (byte* pk = publicKey)
        fixed (byte* sk = secretKey)
            return crypto_box_open_easy(m, c, (ulong)box.Length, n, pk, sk) == 0;
    }

    /// <summary>crypto_box_easy_afternm: a box under a precomputed shared key.</summary>
    public static void BoxAfterNm(Span<byte> box, ReadOnlySpan<byte> message, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sharedKey)
    {
        CheckLength(box.Length, message.Length + MacLength, nameof(box));
        CheckLength(nonce.Length, NonceLength, nameof(nonce));
        CheckLength(sharedKey.Length, SharedKeyLength, nameof(sharedKey));
        fixed (byte* c = box)
        fixed (byte* m = message)
        fixed (byte* n = nonce)
        fixed (byte* k = sharedKey)
            Check(crypto_box_easy_afternm(c, m, (ulong)message.Length, n, k), "crypto_box_easy_afternm");
    }

    /// <summary>crypto_box_open_easy_afternm: false when the box does not open.</summary>
    public static bool BoxOpenAfterNm(Span<byte> message, ReadOnlySpan<byte> box, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sharedKey)
    {
        if (box.Length < MacLength)
            return false;
        CheckLength(message.Length, box.Length - MacLength, nameof(message));
        CheckLength(nonce.Length, NonceLength, nameof(nonce));
        CheckLength(sharedKey.Length, SharedKeyLength, nameof(sharedKey));
        fixed (byte* m = message)
        fixed (byte* c = box)
        fixed (byte* n = nonce)
        fixed (byte* k = sharedKey)
            return crypto_box_open_easy_afternm(m, c, (ulong)box.Length, n, k) == 0;
    }

    /// <summary>
    /// crypto_box_detached_afternm, in place: encrypts <paramref name="text"/> where it lies and writes the MAC
    /// to <paramref name="mac"/>, so a frame is boxed without moving its bytes.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public static void BoxInPlaceAfterNm(Span<byte> text, Span<byte> mac, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sharedKey) =>
        BoxDetachedAfterNm(text, mac, text, nonce, sharedKey);

    /// <summary>
    /// crypto_box_detached_afternm: encrypts <paramref name="message"/> into <paramref name="cipherText"/> (same
    /// length; the same memory, or memory apart from it) and writes the MAC to <paramref name="mac"/>.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public static void BoxDetachedAfterNm(Span<byte> cipherText, Span<byte> mac, ReadOnlySpan<byte> message, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sharedKey)
    {
        CheckLength(cipherText.Length, message.Length, nameof(cipherText));
        CheckLength(mac.Length, MacLength, nameof(mac));
        CheckLength(nonce.Length, NonceLength, nameof(nonce));
        CheckLength(sharedKey.Length, SharedKeyLength, nameof(sharedKey));
        fixed (byte* c = cipherText)
        fixed (byte* t = mac)
        fixed (byte* m = message)
        fixed (byte* n = nonce)
        fixed (byte* k = sharedKey)
            Check(crypto_box_detached_afternm(c, t, m, (ulong)message.Length, n, k), "crypto_box_detached_afternm");
    }

    /// <summary>
    /// crypto_box_open_detached_afternm: checks <paramref name="mac"/> over <paramref name="cipherText"/> and
    /// decrypts it into <paramref name="message"/> (same length; the two may be the same memory). False, and
    /// nothing written, when it does not open.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public static bool BoxOpenDetachedAfterNm(Span<byte> message, ReadOnlySpan<byte> cipherText, ReadOnlySpan<byte> mac, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sharedKey)
    {
        CheckLength(message.Length, cipherText.Length, nameof(message));
        CheckLength(mac.Length, MacLength, nameof(mac));
        CheckLength(nonce.Length, NonceLength, nameof(nonce));
        CheckLength(sharedKey.Length, SharedKeyLength, nameof(sharedKey));
        fixed (byte* m = message)
        fixed (byte* c = cipherText)
        fixed (byte* t = mac)
        fixed (byte* n = nonce)
        fixed (byte* k = sharedKey)
            return crypto_box_open_detached_afternm(m, c, t, (ulong)cipherText.Length, n, k) == 0;
    }

    /// <summary>crypto_secretbox_easy: boxes <paramref name="message"/> under the symmetric <paramref name="key"/>.</summary>
    public static void SecretBox(Span<byte> box, ReadOnlySpan<byte> message, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        CheckLength(box.Length, message.Length + MacLength, nameof(box));
        CheckLength(nonce.Length, NonceLength, nameof(nonce));
        CheckLength(key.Length, SharedKeyLength, nameof(key));
        fixed (byte* c = box)
        fixed (byte* m = message)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
            Check(crypto_secretbox_easy(c, m, (ulong)message.Length, n, k), "crypto_secretbox_easy");
    }

    /// <summary>crypto_secretbox_open_easy: false when the box does not open.</summary>
    public static bool SecretBoxOpen(Span<byte> message, ReadOnlySpan<byte> box, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        if (box.Length < MacLength)
            return false;
        CheckLength(message.Length, box.Length - MacLength, nameof(message));
        CheckLength(nonce.Length, NonceLength, nameof(nonce));
        CheckLength(key.Length, SharedKeyLength, nameof(key));
        fixed (byte* m = message)
        fixed (byte* c = box)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
            return crypto_secretbox_open_easy(m, c, (ulong)box.Length, n, k) == 0;
    }

    /// <summary>Fills <paramref name="buffer"/> with random bytes from the system's secure source.</summary>
    public static void RandomBytes(Span<byte> buffer)
    {
        fixed (byte* b = buffer)
            randombytes_buf(b, (nuint)buffer.Length);
    }

    /// <summary>Zeroes <paramref name="buffer"/> in a way the compiler cannot remove.</summary>
    public static void Zero(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
            return;
        fixed (byte* b = buffer)
            sodium_memzero(b, (nuint)buffer.Length);
    }

    /// <summary>Constant-time equality of two 32-byte values (crypto_verify_32).</summary>
    public static bool Equal32(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        CheckLength(x.Length, 32, nameof(x));
        CheckLength(y.Length, 32, nameof(y));
        fixed (byte* a = x)
        fixed (byte* b = y)
            return crypto_verify_32(a, b) == 0;
    }

    /// <summary>
    /// Constant-time equality of two byte strings (sodium_memcmp); the time depends on the lengths only, and
    /// strings of different lengths are unequal.
    /// </summary>
    public static bool Equal(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != y.Length)
            return false;
        if (x.IsEmpty)
            return true;
        fixed (byte* a = x)
        fixed (byte* b = y)
            return sodium_memcmp(a, b, (nuint)x.Length) == 0;
    }

    // Inlined into the per-frame calls (HotPath), their throws kept out of line.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckLength(int actual, int expected, string name)
    {
        if (actual != expected)
            ThrowWrongLength(actual, expected, name);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Check(int result, string function)
    {
        if (result != 0)
            ThrowFailed(result, function);
    }

    [DoesNotReturn]
    private static void ThrowWrongLength(int actual, int expected, string name) =>
        throw new ArgumentException($"{name} must be {expected} bytes, not {actual}.", name);

    [DoesNotReturn]
    private static void ThrowFailed(int result, string function) =>
        throw new InvalidOperationException($"libsodium's {function} failed ({result}).");

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    private static partial int crypto_box_keypair(byte* pk, byte* sk);

    [LibraryImport(Library)]
    private static partial int crypto_scalarmult_base(byte* q, byte* n);

    [LibraryImport(Library)]
    private static partial int crypto_box_beforenm(byte* k, byte* pk, byte* sk);

    [LibraryImport(Library)]
    private static partial int crypto_box_easy(byte* c, byte* m, ulong mlen, byte* n, byte* pk, byte* sk);

    [LibraryImport(Library)]
    private static partial int crypto_box_open_easy(byte* m, byte* c, ulong clen, byte* n, byte* pk, byte* sk);

    [LibraryImport(Library)]
    private static partial int crypto_box_easy_afternm(byte* c, byte* m, ulong mlen, byte* n, byte* k);

    [LibraryImport(Library)]
    private static partial int crypto_box_open_easy_afternm(byte* m, byte* c, ulong clen, byte* n, byte* k);

    [LibraryImport(Library)]
    private static partial int crypto_box_detached_afternm(byte* c, byte* mac, byte* m, ulong mlen, byte* n, byte* k);

    [LibraryImport(Library)]
    private static partial int crypto_box_open_detached_afternm(byte* m, byte* c, byte* mac, ulong clen, byte* n, byte* k);

    [LibraryImport(Library)]
    private static partial int crypto_secretbox_easy(byte* c, byte* m, ulong mlen, byte* n, byte* k);

    [LibraryImport(Library)]
    private static partial int crypto_secretbox_open_easy(byte* m, byte* c, ulong clen, byte* n, byte* k);

    [LibraryImport(Library)]
    private static partial void randombytes_buf(byte* buf, nuint size);

    [LibraryImport(Library)]
    private static partial void sodium_memzero(byte* pnt, nuint len);

    [LibraryImport(Library)]
    private static partial int sodium_memcmp(byte* b1, byte* b2, nuint len);

    [LibraryImport(Library)]
    private static partial int crypto_verify_32(byte* x, byte* y);
}
