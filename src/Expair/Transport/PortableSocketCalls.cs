using System.Net.Sockets;

namespace Expair.Transport;

/// <summary>
/// Blocking reads and writes for the portable path (<see cref="Internal.IoPlatform"/>), made of .NET's own calls without
/// its event loop: the socket is switched to non-blocking mode, and a call that would block waits in
/// <see cref="Socket.Poll(int, SelectMode)"/> (poll, or select on Windows) until the kernel says it can go on.
/// .NET's blocking calls on a socket it has used asynchronously (connect, accept, the handshake) instead wait for its
/// event loop, which may hand the wake-up to the thread pool: with the pool starved, the connection would stall.
/// </summary>
internal sealed class PortableSocketCalls
{
    private readonly Socket _socket;

    public PortableSocketCalls(Socket socket)
    {
        _socket = socket;
        try
        {
            socket.Blocking = false;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed (the connection was stopped as its traffic began): the first call reports it.
        }
    }

    /// <summary>Reads what is available, waiting for at least one byte; 0 at the end of the stream.</summary>
    public int Receive(Span<byte> buffer)
    {
        while (true)
        {
            var read = _socket.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.Success)
                return read;
            WaitUnlessFailed(error, SelectMode.SelectRead);
        }
    }

    /// <summary>Writes what the kernel's send buffer takes, waiting until it takes at least one byte; returns the bytes written.</summary>
    public int Send(ReadOnlySpan<byte> bytes)
    {
        while (true)
        {
            var sent = _socket.Send(bytes, SocketFlags.None, out var error);
            if (sent > 0 || error == SocketError.Success)
                return sent;
            WaitUnlessFailed(error, SelectMode.SelectWrite);
        }
    }

    /// <summary>One gathered write of <paramref name="pieces"/>, waiting until the kernel takes at least one byte; returns the bytes written.</summary>
    public int SendGathered(List<ArraySegment<byte>> pieces)
    {
        while (true)
        {
            var sent = _socket.Send(pieces, SocketFlags.None, out var error);
            if (sent > 0 || error == SocketError.Success)
                return sent;
            WaitUnlessFailed(error, SelectMode.SelectWrite);
        }
    }

    /// <summary>Waits until the socket is ready for <paramref name="mode"/> (an error or the end of the stream count) when the call would have blocked; throws for any other error.</summary>
    private void WaitUnlessFailed(SocketError error, SelectMode mode)
    {
        if (error != SocketError.WouldBlock)
            throw new SocketException((int)error);
        _socket.Poll(-1, mode);
    }
}
