using System.Buffers.Binary;
using Expair.Protocol;

namespace Expair.Tests.Fuzz;

/// <summary>
/// Makes hostile ZMTP bytes from valid ones: a corpus of greetings, commands and frames, and mutations that
/// flip, overwrite, insert, delete, truncate and repeat bytes or plant extreme length fields. Deterministic
/// for a seed, so a failure replays.
/// </summary>
internal sealed class Mutator(int seed)
{
    private readonly Random _random = new(seed);

    public Random Random => _random;

    /// <summary>A valid greeting, command or run of data frames, then 1 to 4 mutations.</summary>
    public byte[] Next()
    {
        var bytes = Seed();
        var mutations = _random.Next(1, 5);
        for (var i = 0; i < mutations; i++)
            bytes = Mutate(bytes);
        return bytes;
    }

    public byte[] Seed() => _random.Next(6) switch
    {
        0 => Greeting(),
        1 => Command(),
        2 => Command(),
        _ => DataFrames(_random.Next(1, 5)),
    };

    public byte[] Greeting()
    {
        var bytes = new byte[Expair.Protocol.Greeting.Size];
        Expair.Protocol.Greeting.Write(bytes, _random.Next(8) == 0 ? "PLAIN" : "NULL", asServer: _random.Next(2) == 0);
        return bytes;
    }

    public byte[] Command()
    {
        var buffer = new byte[1024];
        int length;
        switch (_random.Next(5))
        {
            case 0:
                length = Commands.WriteReady(buffer, [new("Socket-Type", _random.Next(4) == 0 ? "DEALER" : "PAIR"), new("Identity", new string('x', _random.Next(0, 40)))]);
                break;
            case 1:
                length = Commands.WritePing(buffer, (ushort)_random.Next(0, 600), RandomBytes(_random.Next(0, 20)));
                break;
            case 2:
                length = Commands.WritePong(buffer, RandomBytes(_random.Next(0, 20)));
                break;
            case 3:
                length = Commands.WriteError(buffer, "Invalid socket type");
                break;
            default:
                // A command we do not know: 37/ZMTP says ignore it.
                var body = RandomBytes(_random.Next(1, 300));
                body[0] = (byte)Math.Min(body.Length - 1, _random.Next(1, 12));
                length = FrameHeader.Write(buffer, body.Length, more: false, command: true);
                body.CopyTo(buffer.AsSpan(length));
                length += body.Length;
                break;
        }
        return buffer[..length];
    }

    public byte[] DataFrames(int count)
    {
        var output = new List<byte>();
        for (var i = 0; i < count; i++)
        {
            var body = RandomBytes(_random.Next(4) == 0 ? _random.Next(256, 3000) : _random.Next(0, 256));
            var header = new byte[FrameHeader.MaxSize];
            var headerLength = FrameHeader.Write(header, body.Length, more: i < count - 1);
            output.AddRange(header.AsSpan(0, headerLength));
            output.AddRange(body);
        }
        return [.. output];
    }

    public byte[] Mutate(byte[] bytes)
    {
        if (bytes.Length == 0)
            return RandomBytes(_random.Next(1, 16));
        var at = _random.Next(bytes.Length);
        var copy = (byte[])bytes.Clone();
        switch (_random.Next(9))
        {
            case 0:
                copy[at] ^= (byte)(1 << _random.Next(8));
                return copy;
            case 1:
                copy[at] = (byte)_random.Next(256);
                return copy;
            case 2:
                copy[at] = _random.Next(2) == 0 ? (byte)0xFF : (byte)0;
                return copy;
            case 3:
                return [.. bytes.AsSpan(0, at), .. RandomBytes(_random.Next(1, 9)), .. bytes.AsSpan(at)];
            case 4:
                return [.. bytes.AsSpan(0, at), .. bytes.AsSpan(Math.Min(bytes.Length, at + _random.Next(1, 9)))];
            case 5:
                return bytes[..at];
            case 6:
                var length = Math.Min(bytes.Length - at, _random.Next(1, 64));
                return [.. bytes.AsSpan(0, at + length), .. bytes.AsSpan(at, length), .. bytes.AsSpan(at + length)];
            case 7:
                // A frame header with an extreme length: long form, up to 2^63-1, or the forbidden top bit.
                var header = new byte[9];
                header[0] = (byte)(0x02 | _random.Next(0, 8));
                BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(1), _random.Next(3) switch
                {
                    0 => ulong.MaxValue,
                    1 => (ulong)long.MaxValue,
                    _ => (ulong)_random.NextInt64(0, 1L << 40),
                });
                return [.. bytes.AsSpan(0, at), .. header, .. bytes.AsSpan(at)];
            default:
                return [.. bytes, .. bytes.AsSpan(0, Math.Min(bytes.Length, 128))];
        }
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }
}

/// <summary>The two seeds of every fuzz run: one fixed, one fresh (EXPAIR_FUZZ_SEED replays a fresh one).</summary>
internal static class FuzzSeeds
{
    public const int Fixed = 20261123;

    public static int Fresh() =>
        int.TryParse(Environment.GetEnvironmentVariable("EXPAIR_FUZZ_SEED"), out var seed) ? seed : Environment.TickCount;
}
