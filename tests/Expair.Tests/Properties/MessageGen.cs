using Expair.Protocol;
using FsCheck;
using FsCheck.Fluent;

namespace Expair.Tests.Properties;

/// <summary>FsCheck generators for ZMTP messages: 1 to 8 frames, mostly small, some past the 255-byte short form and the 64 kB receive buffer.</summary>
internal static class MessageGen
{
    /// <summary>A body of a generated size; the bytes come from a generated seed (fast for large bodies).</summary>
    public static Gen<byte[]> Frame =>
        Gen.Frequency(
            (6, Gen.Choose(0, 300)),
            (3, Gen.Choose(250, 3_000)),
            (1, Gen.Choose(60_000, 70_000)))
        .SelectMany(size => Gen.Choose(0, int.MaxValue).Select(seed => Bytes(size, seed)));

    public static Gen<byte[][]> Message => Gen.Choose(1, 8).SelectMany(count => Gen.ArrayOf(Frame, count));

    /// <summary>0 to 6 messages in a row.</summary>
    public static Gen<byte[][][]> Messages => Gen.Choose(0, 6).SelectMany(count => Gen.ArrayOf(Message, count));

    /// <summary>Chunk sizes to cut a byte stream into: mostly tiny (every header split), some large.</summary>
    public static Gen<int[]> Chunks =>
        Gen.ArrayOf(Gen.Frequency((5, Gen.Choose(1, 16)), (3, Gen.Choose(17, 2_000)), (1, Gen.Choose(2_001, 100_000))), 64);

    /// <summary>The ZMTP framing of <paramref name="messages"/> (37/ZMTP "Framing"): MORE on all but the last frame.</summary>
    public static byte[] Encode(byte[][][] messages)
    {
        var output = new List<byte>();
        var header = new byte[FrameHeader.MaxSize];
        foreach (var message in messages)
        {
            for (var i = 0; i < message.Length; i++)
            {
                var length = FrameHeader.Write(header, message[i].Length, more: i < message.Length - 1);
                output.AddRange(header.AsSpan(0, length));
                output.AddRange(message[i]);
            }
        }
        return [.. output];
    }

    public static string Describe(byte[][][] messages) =>
        $"{messages.Length} messages: [{string.Join("; ", messages.Select(m => string.Join(",", m.Select(f => f.Length))))}]";

    private static byte[] Bytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}

/// <summary>
/// A streaming decoder over <see cref="FrameHeader"/> that takes bytes in any chunks, as the engine's receive
/// loop does: it keeps what it cannot parse yet and resumes when more arrives.
/// </summary>
internal sealed class StreamingDecoder(long maxBodyLength = int.MaxValue)
{
    private readonly List<byte[]> _frames = [];
    private byte[] _buffer = new byte[256];
    private int _start;
    private int _end;

    public List<byte[][]> Messages { get; } = [];

    /// <summary>Frames of a message not yet complete.</summary>
    public int PendingFrames => _frames.Count;

    public int PendingBytes => _end - _start;

    public void Feed(ReadOnlySpan<byte> chunk)
    {
        if (_end + chunk.Length > _buffer.Length)
        {
            var bigger = new byte[Math.Max(_buffer.Length * 2, _end - _start + chunk.Length)];
            _buffer.AsSpan(_start, _end - _start).CopyTo(bigger);
            _end -= _start;
            _start = 0;
            _buffer = bigger;
        }
        chunk.CopyTo(_buffer.AsSpan(_end));
        _end += chunk.Length;
        while (true)
        {
            var buffered = _buffer.AsSpan(_start, _end - _start);
            var status = FrameHeader.TryParse(buffered, maxBodyLength, out var header);
            if (status == System.Buffers.OperationStatus.NeedMoreData)
                return;
            Assert.Equal(System.Buffers.OperationStatus.Done, status);
            if (buffered.Length < header.HeaderLength + header.BodyLength)
                return;
            Assert.False(header.IsCommand);
            _frames.Add(buffered.Slice(header.HeaderLength, (int)header.BodyLength).ToArray());
            _start += header.HeaderLength + (int)header.BodyLength;
            if (!header.More)
            {
                Messages.Add([.. _frames]);
                _frames.Clear();
            }
        }
    }
}
