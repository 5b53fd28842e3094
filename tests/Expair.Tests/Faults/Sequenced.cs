using System.Buffers.Binary;

namespace Expair.Tests.Faults;

/// <summary>
/// Messages that carry a sequence number and a checksum-able body, so a receiver can tell a gap, a duplicate,
/// a reordering or a corrupted or partial message apart.
/// </summary>
internal static class Sequenced
{
    /// <summary>One frame: 8-byte sequence number, then <paramref name="size"/> bytes derived from it.</summary>
    public static byte[] Frame(long sequence, int size)
    {
        var bytes = new byte[8 + size];
        BinaryPrimitives.WriteInt64BigEndian(bytes, sequence);
        Fill(bytes.AsSpan(8), sequence);
        return bytes;
    }

    /// <summary>A multipart message: frame 0 carries the number and the frame count, every other frame the pattern of (number, index).</summary>
    public static Message Multipart(long sequence, int frames, int frameSize)
    {
        var message = new Message();
        var head = new byte[12];
        BinaryPrimitives.WriteInt64BigEndian(head, sequence);
        BinaryPrimitives.WriteInt32BigEndian(head.AsSpan(8), frames);
        message.Add(head);
        for (var i = 1; i < frames; i++)
        {
            var body = new byte[frameSize];
            Fill(body, sequence * 1_000_003 + i);
            message.Add(body);
        }
        return message;
    }

    /// <summary>The sequence number of a whole message, after checking every byte of it.</summary>
    public static long Check(Message message, int expectedFrames = 1)
    {
        Assert.Equal(expectedFrames, message.Count);
        var first = message[0].Span;
        var sequence = BinaryPrimitives.ReadInt64BigEndian(first);
        if (expectedFrames == 1)
        {
            Assert.True(Matches(first[8..], sequence), $"message {sequence}: body corrupted");
            return sequence;
        }
        Assert.Equal(expectedFrames, BinaryPrimitives.ReadInt32BigEndian(first[8..]));
        for (var i = 1; i < message.Count; i++)
            Assert.True(Matches(message[i].Span, sequence * 1_000_003 + i), $"message {sequence}: frame {i} corrupted");
        return sequence;
    }

    /// <summary>Checks a message made by <see cref="Frame"/> or <see cref="Multipart"/>, whichever it is.</summary>
    public static long CheckAny(Message message) => Check(message, message.Count);

    private static void Fill(Span<byte> bytes, long seed)
    {
        for (var i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(seed * 31 + i * 7);
    }

    private static bool Matches(ReadOnlySpan<byte> bytes, long seed)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != (byte)(seed * 31 + i * 7))
                return false;
        }
        return true;
    }
}

/// <summary>Polls a condition until it holds or the timeout passes (for states with no event to wait on).</summary>
internal static class Eventually
{
    public static void True(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var spin = new SpinWait();
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, $"timed out waiting until {what}");
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }
}
