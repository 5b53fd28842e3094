using System.Buffers;
using System.Runtime.CompilerServices;
using Expair.Internal;
using Expair.Protocol;

namespace Expair.Engine;

/// <summary>
/// The bytes received and not yet parsed. Small while the handshake runs (a flood of connections that never finish
/// it then costs a few hundred bytes each); a pooled full-size buffer from the traffic phase on. Used by one thread at
/// a time: the handshake, then whoever holds the read side (<see cref="ReadLease"/>).
/// </summary>
internal sealed class ReceiveBuffer
{
    /// <summary>The traffic phase's buffer size; frames up to about this size are decoded in place.</summary>
    public const int FullSize = 64 * 1024;

    /// <summary>What a connection reads into until its handshake is done: a greeting and a READY fit.</summary>
    private const int HandshakeSize = 512;

    private byte[] _buffer = new byte[HandshakeSize];
    private bool _rented;
    private int _start;
    private int _end;

    /// <summary>Bytes received but not yet parsed.</summary>
    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    public bool IsEmpty => _start == _end;

    /// <summary>Marks the first <paramref name="count"/> buffered bytes parsed.</summary>
    public void Consume(int count) => _start += count;

    /// <summary>Compacts the buffer and returns the space after the buffered bytes.</summary>
    [MethodImpl(HotPath.Optimized)]
    public Memory<byte> FreeSpace()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_rented)
                throw new ProtocolViolationException("peer sent more than the receive buffer holds before it may");
            UseFullSize(); // a handshake command larger than the small buffer
        }
        return _buffer.AsMemory(_end);
    }

    /// <summary><paramref name="count"/> bytes were read into <see cref="FreeSpace"/>.</summary>
    public void Filled(int count) => _end += count;

    /// <summary>Moves the buffered bytes into a full-size buffer from the pool (once per connection).</summary>
    public void UseFullSize()
    {
        if (_rented)
            return;
        var full = ArrayPool<byte>.Shared.Rent(FullSize);
        Buffered.CopyTo(full);
        _end -= _start;
        _start = 0;
        _buffer = full;
        _rented = true;
    }

    /// <summary>Gives the pooled buffer back; only once every read has completed.</summary>
    public void Return()
    {
        if (!_rented)
            return;
        var rented = _buffer;
        _buffer = [];
        _start = _end = 0;
        _rented = false;
        ArrayPool<byte>.Shared.Return(rented);
    }
}
