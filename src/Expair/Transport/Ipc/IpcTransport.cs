using System.Net.Sockets;

namespace Expair.Transport.Ipc;

internal static class IpcTransport
{
    private const int Backlog = 128;

    /// <summary>
    /// Binds and listens at the endpoint's path. A socket file left by a process that is gone is replaced; anything
    /// else at the path is left alone and refused: a file or directory that is not a socket, or a socket a live
    /// listener answers on (its connections would silently move to us).
    /// </summary>
    public static Socket Listen(Endpoint endpoint)
    {
        var abstractName = IpcSocketFile.IsAbstract(endpoint.Address);
        if (!abstractName)
            ClearStaleSocket(endpoint);
        // bind(2) never replaces what is at the path: whatever appeared since the check above makes it fail.
        if (Internal.IoPlatform.UsesLinuxCalls && !abstractName)
            return NativeUnixListener.Listen(endpoint.ToString(), endpoint.Address, Backlog);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(endpoint.Address));
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new TransportException(endpoint.ToString(), e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "the path is already in use" : e.Message, e);
        }
    }

    private static void ClearStaleSocket(Endpoint endpoint)
    {
        var path = endpoint.Address;
        switch (IpcSocketFile.Kind(path))
        {
            case IpcPathKind.Missing:
                return;
            case IpcPathKind.Other:
                throw new TransportException(endpoint.ToString(), "the path exists and is not a socket; it was left untouched");
        }
        if (HasListener(path))
            throw new TransportException(endpoint.ToString(), "address in use: a socket is listening on this path");
        try
        {
            File.Delete(path); // a socket file nobody listens on: left by a process that is gone (libzmq replaces it too)
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TransportException(endpoint.ToString(), "cannot remove the stale socket file", e);
        }
    }

    /// <summary>
    /// Whether a listener answers at <paramref name="path"/>: a connection that is taken, or waits because the
    /// listener's backlog is full, means one does; a refused one means the file is stale. The connection is closed
    /// at once (a listening Expair socket sees a peer that left during the greeting).
    /// </summary>
    private static bool HasListener(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.AccessDenied;
        }
    }
}
