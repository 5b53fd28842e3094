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
            throw new EndpointException(endpoint.ToString(), why, e);
        }
    }

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
                : throw new EndpointException(endpoint.ToString(), $"host '{endpoint.Host}' has no address");
        }
        catch (SocketException e)
        {
            throw new EndpointException(endpoint.ToString(), $"cannot resolve host '{endpoint.Host}'", e);
        }
    }
}
