using System.Net;
using System.Net.Sockets;

namespace Expair.Transport;

/// <summary>
/// Opens listening and connected stream sockets for tcp and ipc endpoints. Knows nothing of ZMTP or PAIR:
/// it hands back plain <see cref="Socket"/>s.
/// </summary>
internal static class StreamTransport
{
    /// <summary>Binds and listens; returns the socket and the endpoint as actually bound (real port for *).</summary>
    public static (Socket Listener, Endpoint Bound) Listen(Endpoint endpoint)
    {
        var socket = endpoint.Kind == TransportKind.Ipc ? Ipc.IpcTransport.Listen(endpoint) : Tcp.TcpTransport.Listen(endpoint);
        var bound = endpoint.Kind == TransportKind.Tcp && socket.LocalEndPoint is IPEndPoint ip
            ? endpoint with { Port = ip.Port }
            : endpoint;
        return (socket, bound);
    }

    /// <summary>A stream socket for connecting to <paramref name="endpoint"/>.</summary>
    public static Socket NewSocket(Endpoint endpoint) => endpoint.Kind == TransportKind.Ipc
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(SocketType.Stream, ProtocolType.Tcp);

    /// <summary>
    /// Connects <paramref name="socket"/> with a blocking call (never an asynchronous one: .NET's event loop then
    /// never watches the connection) and tunes it. Disposing the socket from another thread ends the attempt.
    /// </summary>
    public static void Connect(Socket socket, Endpoint endpoint)
    {
        if (endpoint.Kind == TransportKind.Ipc)
            socket.Connect(new UnixDomainSocketEndPoint(endpoint.Address));
        else
            socket.Connect(endpoint.Host, endpoint.Port);
        Tune(socket);
    }

    /// <summary>
    /// A unix socket's send buffer (Linux doubles it, and caps the request at <c>net.core.wmem_max</c>). The default,
    /// about 208 KiB, made the send thread sleep and be woken several times per MiB sent.
    /// </summary>
    public const int UnixSendBufferSize = 1024 * 1024;

    /// <summary>
    /// Settings for every connected socket: for tcp no Nagle delay, since we batch writes ourselves, and on loopback
    /// plain congestion control instead of a pacing one (<see cref="Tcp.TcpTransport.UnpaceLoopback"/>); for ipc a
    /// larger send buffer (<see cref="UnixSendBufferSize"/>).
    /// </summary>
    public static void Tune(Socket socket)
    {
        if (socket.AddressFamily == AddressFamily.Unix)
        {
            try
            {
                socket.SendBufferSize = UnixSendBufferSize;
            }
            catch (SocketException)
            {
                // A system that does not size unix socket buffers this way keeps its default.
            }
            return;
        }
        socket.NoDelay = true;
        Tcp.TcpTransport.UnpaceLoopback(socket);
    }

    public static string Describe(Socket socket, Endpoint endpoint) =>
        endpoint.Kind == TransportKind.Tcp && socket.RemoteEndPoint is IPEndPoint ip ? $"tcp://{Unmapped(ip)}" : endpoint.ToString();

    /// <summary>An IPv4 peer reached through a dual-mode socket as itself (127.0.0.1:5555, not [::ffff:127.0.0.1]:5555).</summary>
    internal static IPEndPoint Unmapped(IPEndPoint ip) =>
        ip.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(ip.Address.MapToIPv4(), ip.Port) : ip;
}
