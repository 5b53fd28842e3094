using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Expair.Transport;
using Expair.Transport.Tcp;

namespace Expair.Tests.Transport;

/// <summary>
/// Loopback tcp connections use Reno instead of the system's (possibly pacing) congestion control; connections to
/// any other address keep the system default. Checked on real sockets tuned the way both the connector and the
/// listener tune theirs (<see cref="StreamTransport.Tune"/>). Linux only: TCP_CONGESTION is Linux's option.
/// </summary>
public class LoopbackCongestionTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1", true)] // a dual-mode IPv6 socket sees its peer as ::ffff:127.0.0.1
    [InlineData("::1", false)]
    public void LoopbackConnections_UseReno_AtBothEnds(string address, bool dualModeClient)
    {
        var (client, server) = ConnectedPair(IPAddress.Parse(address), dualModeClient);
        using (client)
        using (server)
        {
            Assert.Equal("reno", TcpTransport.CongestionControl(client));
            Assert.Equal("reno", TcpTransport.CongestionControl(server));
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
            Assert.Equal(systemDefault, TcpTransport.CongestionControl(client));
            Assert.Equal(systemDefault, TcpTransport.CongestionControl(server));
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
}
