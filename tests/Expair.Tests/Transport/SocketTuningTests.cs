using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Expair.Tests.Platform;
using Expair.Transport;

namespace Expair.Tests.Transport;

/// <summary>
/// How connected sockets are tuned (<see cref="StreamTransport.Tune"/>, called by both the connector and the
/// listener), checked on real sockets. Loopback tcp connections use Reno instead of the system's (possibly pacing)
/// congestion control; connections to any other address keep the system default. Unix sockets get a larger send
/// buffer. Linux only: TCP_CONGESTION and the buffer doubling are Linux's.
/// </summary>
public class SocketTuningTests
{
    [Fact]
    public void UnixSockets_GetTheLargerSendBuffer_AsFarAsTheSystemAllows()
    {
        Assert.True(OperatingSystem.IsLinux(), "these checks read Linux's /proc");
        var path = $"{Path.GetTempPath()}expair-tune-{Guid.NewGuid():N}.sock";
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(path));
            using var server = listener.Accept();
            var untuned = server.SendBufferSize;
            StreamTransport.Tune(client);
            StreamTransport.Tune(server);
            // Linux caps the request at net.core.wmem_max and stores twice what it granted.
            var cap = int.Parse(File.ReadAllText("/proc/sys/net/core/wmem_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var expected = 2 * Math.Min(StreamTransport.UnixSendBufferSize, cap);
            Assert.Equal(expected, client.SendBufferSize);
            Assert.Equal(expected, server.SendBufferSize);
            Assert.True(expected >= untuned, $"tuned {expected} below the default {untuned}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1", true)] // a dual-mode IPv6 socket sees its peer as ::ffff:127.0.0.1
    [InlineData("::1", false)]
    [Trait(LinuxPath.Trait, LinuxPath.Value)]
    public void LoopbackConnections_UseReno_AtBothEnds(string address, bool dualModeClient)
    {
        LinuxPath.Require();
        var (client, server) = ConnectedPair(IPAddress.Parse(address), dualModeClient);
        using (client)
        using (server)
        {
            Assert.Equal("reno", CongestionControl(client));
            Assert.Equal("reno", CongestionControl(server));
        }
    }

    [Fact]
    public void OtherConnections_KeepTheSystemDefault()
    {
        Assert.True(OperatingSystem.IsLinux(), "TCP_CONGESTION is a Linux option");
        var systemDefault = File.ReadAllText("/proc/sys/net/ipv4/tcp_congestion_control").Trim();
        // The machine's own non-loopback address: the bytes still go through the kernel locally, but the peer is
        // not a loopback address, so nothing may change.
        var own = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.NotNull(own); // every machine this runs on has a network interface besides lo
        var (client, server) = ConnectedPair(own, dualModeClient: false);
        using (client)
        using (server)
        {
            Assert.Equal(systemDefault, CongestionControl(client));
            Assert.Equal(systemDefault, CongestionControl(server));
        }
    }

    private static (Socket Client, Socket Server) ConnectedPair(IPAddress address, bool dualModeClient)
    {
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(1);
        var client = dualModeClient
            ? new Socket(SocketType.Stream, ProtocolType.Tcp) // what StreamTransport.ConnectAsync creates
            : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        var server = listener.Accept();
        StreamTransport.Tune(client);
        StreamTransport.Tune(server);
        return (client, server);
    }

    /// <summary>The congestion control a connected tcp socket uses, read with TCP_CONGESTION (13 on Linux, every architecture).</summary>
    private static string CongestionControl(Socket socket)
    {
        const int IpProtoTcp = 6, TcpCongestion = 13;
        Span<byte> name = stackalloc byte[16];
        var length = socket.GetRawSocketOption(IpProtoTcp, TcpCongestion, name);
        return System.Text.Encoding.ASCII.GetString(name[..length]).TrimEnd('\0');
    }
}
