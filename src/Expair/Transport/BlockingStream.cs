using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Transport;

/// <summary>
/// Blocking reads and writes on a connected stream socket, for a connection whose handshake and loops run on
/// their own threads; every call the connection makes, from the greeting on, goes through here, and the socket is
/// never used asynchronously. A blocked read is woken by the kernel itself: no event-loop thread and no thread-pool
/// hop sit between the bytes arriving and the reader (the hops cost tens of microseconds per message and put
/// milliseconds on the slowest round trips), and a starved thread pool cannot stall the connection. On the Linux path (<see cref="Internal.IoPlatform"/>) the calls go
/// straight to the C library on a socket switched back to blocking mode; elsewhere they are .NET's, waiting in poll
/// (<see cref="PortableSocketCalls"/>).
/// <see cref="Abort"/> wakes any blocked call from another thread.
/// </summary>
internal sealed class BlockingStream
{
    private readonly Socket _socket;
    private readonly LinuxSocketCalls? _native;
    private readonly PortableSocketCalls? _portable; // when there is no _native

    public BlockingStream(Socket socket)
    {
        _socket = socket;
        _native = LinuxSocketCalls.TryCreate(socket.SafeHandle);
        _portable = _native is null ? new PortableSocketCalls(socket) : null;
    }

    /// <summary>True when the calls go to the C library (the Linux path), false when they are .NET's.</summary>
    internal bool UsesLinuxCalls => _native is not null;

    /// <summary>
    /// Reads what is available (waiting for at least one byte); 0 at the end of the stream, -1 when the wait passed
    /// the receive timeout set with <see cref="TrySetReceiveTimeout"/>.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int Receive(Span<byte> buffer) =>
        _native?.Receive(buffer) ?? _portable!.Receive(buffer);

    /// <summary>Bounds every blocking read to <paramref name="timeout"/> (the Linux path); false where that is not done.</summary>
    public bool TrySetReceiveTimeout(TimeSpan timeout) => _native?.SetReceiveTimeout(timeout) == true;

    /// <summary>
    /// Waits until a read would not block (bytes, the end of the stream, or an error), at most
    /// <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/>: no limit). False when the time ran out.
    /// </summary>
    public bool WaitReadable(TimeSpan timeout)
    {
        var ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
        return _native?.WaitReadable(ms) ?? _socket.Poll(ms < 0 ? -1 : (int)Math.Min(int.MaxValue, ms * 1000L), SelectMode.SelectRead);
    }

    /// <summary>Writes every byte, waiting while the kernel's send buffer is full.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void Send(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
            bytes = bytes[(_native?.Send(bytes) ?? _portable!.Send(bytes))..];
    }

    /// <summary>Whether <see cref="SendNow(ReadOnlySpan{byte})"/> is available (the Linux path): a write that never waits.</summary>
    public bool CanSendWithoutWaiting => _native is not null;

    /// <summary>Writes what the kernel's send buffer takes now, without waiting; returns the bytes written (0 when full).</summary>
    [MethodImpl(HotPath.Optimized)]
    public int SendNow(ReadOnlySpan<byte> bytes) =>
        _native?.SendNow(bytes) ?? throw new PlatformNotSupportedException("SendNow needs Linux's socket calls.");

    /// <summary>Writes what the kernel's send buffer takes of <paramref name="pieces"/> now, in one call; returns the bytes written.</summary>
    [MethodImpl(HotPath.Optimized)]
    public long SendNow(List<ArraySegment<byte>> pieces) =>
        pieces.Count == 1 ? SendNow(pieces[0])
        : _native?.SendGatheredNow(pieces) ?? throw new PlatformNotSupportedException("SendNow needs Linux's socket calls.");

    /// <summary>Writes every byte of <paramref name="pieces"/> in as few system calls as the kernel allows.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void Send(List<ArraySegment<byte>> pieces, long total)
    {
        if (pieces.Count == 1)
        {
            Send(pieces[0]);
            return;
        }
        var sent = _native?.SendGathered(pieces) ?? _portable!.SendGathered(pieces);
        if (sent == total)
            return;
        // A gathered write may stop short (a signal, a full send buffer): finish the rest piece by piece.
        foreach (var piece in pieces)
        {
            if (sent >= piece.Count)
            {
                sent -= piece.Count;
                continue;
            }
            Send(piece.AsSpan((int)sent));
            sent = 0;
        }
    }

    /// <summary>Shuts the socket down both ways, which ends a blocked read (0 bytes) and a blocked write (an error).</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Not connected any more, or already closed: nothing is blocked on it.
        }
    }
}
