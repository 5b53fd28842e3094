using System.Net;
using System.Net.Sockets;

namespace Expair.Transport.Tcp;

internal static class TcpTransport
{
    public static Socket Listen(Endpoint endpoint)
    {
        var (address, dualMode) = ResolveBindAddress(endpoint);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (dualMode)
                socket.DualMode = true;
            // No ReuseAddress: on Linux .NET maps it to SO_REUSEPORT too, which would let a second socket
            // share a port in use. .NET already sets plain SO_REUSEADDR on Unix, so a restarted binder
            // can take its port back while old connections sit in TIME_WAIT.
            socket.Bind(new IPEndPoint(address, endpoint.Port));
            socket.Listen(128);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            var why = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the address is already in use",
                SocketError.AddressNotAvailable => "the address is not available on this machine",
                SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                _ => e.Message,
            };
            throw new TransportException(endpoint.ToString(), why, e);
        }
    }

    /// <summary>
    /// On a loopback connection (the Linux path only: <see cref="Internal.IoPlatform"/>), switches congestion
    /// control to Reno. Where BBR is the system default it
    /// paces every write to its estimate of the path's bandwidth, which a request-reply or bursty flow on loopback
    /// keeps far below what the machine moves. A loopback link has no network to share, so nothing is lost. Reno
    /// is built into every Linux kernel and allowed to unprivileged processes; if the kernel refuses, the default stays.
    /// </summary>
    public static void UnpaceLoopback(Socket socket)
    {
        if (!Internal.IoPlatform.UsesLinuxCalls)
            return;
        try
        {
            if (socket.RemoteEndPoint is IPEndPoint { Address: var peer } && IPAddress.IsLoopback(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer))
                socket.SetRawSocketOption(IPPROTO_TCP, TCP_CONGESTION, "reno\0"u8);
        }
        catch (SocketException)
        {
            // Not allowed here (a restricted kernel), or the peer is already gone: the default stays, and the
            // connection's own reads and writes report whatever is wrong with it.
        }
    }

    private const int IPPROTO_TCP = 6;
    private const int TCP_CONGESTION = 13; // Linux, every architecture

    private static (IPAddress Address, bool DualMode) ResolveBindAddress(Endpoint endpoint)
    {
        if (endpoint.Host == "*")
            return Socket.OSSupportsIPv6 ? (IPAddress.IPv6Any, true) : (IPAddress.Any, false);
        if (IPAddress.TryParse(endpoint.Host, out var address))
            return (address, false);
        try
        {
            var addresses = Dns.GetHostAddresses(endpoint.Host);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return chosen is not null
                ? (chosen, false)
                : throw new TransportException(endpoint.ToString(), $"host '{endpoint.Host}' has no address");
        }
        catch (SocketException e)
        {
            throw new TransportException(endpoint.ToString(), $"cannot resolve host '{endpoint.Host}'", e);
        }
    }
}
