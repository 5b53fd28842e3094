using System.Net.Sockets;

namespace Expair.Transport.Ipc;

internal static class IpcTransport
{
    public static Socket Listen(Endpoint endpoint)
    {
        // As libzmq does: a socket file left by an earlier process is removed so the path can be bound again.
        // A live listener on it would be replaced too; binding one path twice is a configuration error either way.
        try
        {
            if (File.Exists(endpoint.Address))
                File.Delete(endpoint.Address);
        }
        catch (IOException e)
        {
            throw new TransportException(endpoint.ToString(), "cannot remove the old socket file", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new TransportException(endpoint.ToString(), "cannot remove the old socket file", e);
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(endpoint.Address));
            socket.Listen(128);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new TransportException(endpoint.ToString(), e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "the path is already in use" : e.Message, e);
        }
    }

    /// <summary>Removes the socket file when the binder goes away, as libzmq does.</summary>
    public static void Cleanup(Endpoint endpoint)
    {
        try
        {
            File.Delete(endpoint.Address);
        }
        catch (IOException)
        {
            // Best effort: a leftover file is removed by the next Listen anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
