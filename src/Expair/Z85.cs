namespace Expair;

/// <summary>
/// ZeroMQ's Z85 text encoding (32/Z85, used by 26/CurveZMQ for keys): every 4 bytes become 5 printable
/// characters, so a 32-byte CURVE key is 40 characters. The same text libzmq's <c>zmq_z85_encode</c>,
/// <c>zmq_curve_keypair</c> and pyzmq produce.
/// </summary>
public static class Z85
{
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

    // Character code minus 32 -> digit value, 0xFF for characters outside the alphabet.
    private static readonly byte[] Digits = BuildDigits();

    /// <summary>The length of the Z85 text for <paramref name="byteCount"/> bytes (a multiple of 4).</summary>
    /// <exception cref="ArgumentException"><paramref name="byteCount"/> is negative or not a multiple of 4.</exception>
    public static int GetEncodedLength(int byteCount)
    {
        if (byteCount < 0 || byteCount % 4 != 0)
            throw new ArgumentException($"Z85 encodes whole groups of 4 bytes: {byteCount} is not a multiple of 4.", nameof(byteCount));
        return byteCount / 4 * 5;
    }

    /// <summary>The number of bytes in Z85 text of <paramref name="charCount"/> characters (a multiple of 5).</summary>
    /// <exception cref="FormatException"><paramref name="charCount"/> is negative or not a multiple of 5.</exception>
    public static int GetDecodedLength(int charCount)
    {
        if (charCount < 0 || charCount % 5 != 0)
            throw new FormatException($"Z85 text comes in groups of 5 characters: a length of {charCount} is not a multiple of 5.");
        return charCount / 5 * 4;
    }

    /// <summary>Encodes <paramref name="data"/>, whose length must be a multiple of 4 (32 for a CURVE key).</summary>
    /// <exception cref="ArgumentException">The length of <paramref name="data"/> is not a multiple of 4.</exception>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        var length = GetEncodedLengthOf(data.Length, nameof(data));
        return string.Create(length, data, static (chars, bytes) => EncodeCore(bytes, chars));
    }

    /// <summary>
    /// Encodes <paramref name="data"/> (a multiple of 4 bytes) into <paramref name="destination"/> and returns
    /// the number of characters written; for secrets that should not end up in an immutable string.
    /// </summary>
    /// <exception cref="ArgumentException">The length of <paramref name="data"/> is not a multiple of 4, or
    /// <paramref name="destination"/> is too short.</exception>
    public static int Encode(ReadOnlySpan<byte> data, Span<char> destination)
    {
        var length = GetEncodedLengthOf(data.Length, nameof(data));
        if (destination.Length < length)
            throw new ArgumentException($"The destination needs {length} characters for {data.Length} bytes, it has {destination.Length}.", nameof(destination));
        EncodeCore(data, destination);
        return length;
    }

    /// <summary>Decodes Z85 <paramref name="text"/> (a multiple of 5 characters; 40 for a CURVE key).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The length is not a multiple of 5, a character is not in Z85's
    /// alphabet, or a group of 5 characters stands for more than 32 bits.</exception>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Decode(text.AsSpan());
    }

    /// <summary>Decodes Z85 <paramref name="text"/> (a multiple of 5 characters).</summary>
    /// <exception cref="FormatException">The length is not a multiple of 5, a character is not in Z85's
    /// alphabet, or a group of 5 characters stands for more than 32 bits.</exception>
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        var bytes = new byte[GetDecodedLength(text.Length)];
        DecodeCore(text, bytes);
        return bytes;
    }

    /// <summary>
    /// Decodes Z85 <paramref name="text"/> into <paramref name="destination"/> and returns the number of bytes
    /// written; for secrets that should go straight into memory the caller controls.
    /// </summary>
    /// <exception cref="FormatException">The text is not valid Z85 (see <see cref="Decode(string)"/>).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int Decode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var length = GetDecodedLength(text.Length);
        if (destination.Length < length)
            throw new ArgumentException($"The destination needs {length} bytes for {text.Length} characters, it has {destination.Length}.", nameof(destination));
        DecodeCore(text, destination);
        return length;
    }

    private static int GetEncodedLengthOf(int byteCount, string parameter) =>
        byteCount % 4 == 0
            ? byteCount / 4 * 5
            : throw new ArgumentException($"Z85 encodes whole groups of 4 bytes: {byteCount} bytes is not a multiple of 4.", parameter);

    private static void EncodeCore(ReadOnlySpan<byte> data, Span<char> chars)
    {
        var c = 0;
        for (var i = 0; i < data.Length; i += 4)
        {
            // 32/Z85: each 4 bytes are a big-endian 32-bit value written as 5 base-85 digits, most significant first.
            var value = (uint)(data[i] << 24 | data[i + 1] << 16 | data[i + 2] << 8 | data[i + 3]);
            for (var d = 4; d >= 0; d--)
            {
                chars[c + d] = Alphabet[(int)(value % 85)];
                value /= 85;
            }
            c += 5;
        }
    }

    private static void DecodeCore(ReadOnlySpan<char> text, Span<byte> bytes)
    {
        var b = 0;
        for (var i = 0; i < text.Length; i += 5)
        {
            ulong value = 0;
            for (var d = 0; d < 5; d++)
                value = value * 85 + DigitOf(text[i + d], i + d);
            if (value > uint.MaxValue)
                throw new FormatException($"Z85 characters {i}-{i + 4} (\"{text.Slice(i, 5)}\") stand for more than 32 bits.");
            bytes[b++] = (byte)(value >> 24);
            bytes[b++] = (byte)(value >> 16);
            bytes[b++] = (byte)(value >> 8);
            bytes[b++] = (byte)value;
        }
    }

    private static uint DigitOf(char c, int position)
    {
        var index = c - 32;
        if ((uint)index < (uint)Digits.Length && Digits[index] != 0xFF)
            return Digits[index];
        var shown = char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : $"'{c}'";
        throw new FormatException($"Z85 text has {shown} at position {position}, which is not in Z85's alphabet (0-9, a-z, A-Z and .-:+=^!/*?&<>()[]{{}}@%$#).");
    }

    private static byte[] BuildDigits()
    {
        var digits = new byte[96];
        Array.Fill(digits, (byte)0xFF);
        for (var i = 0; i < Alphabet.Length; i++)
            digits[Alphabet[i] - 32] = (byte)i;
        return digits;
    }
}
