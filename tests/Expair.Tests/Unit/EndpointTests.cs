using Expair.Transport;
using Expair.Transport.Ipc;

namespace Expair.Tests.Unit;

public class EndpointTests
{
    [Fact]
    public void Parse_TcpIpv4_GivesHostAndPort()
    {
        var endpoint = Endpoint.Parse("tcp://127.0.0.1:5555", forBind: false);
        Assert.Equal(new Endpoint(TransportKind.Tcp, "127.0.0.1:5555", "127.0.0.1", 5555), endpoint);
    }

    [Fact]
    public void Parse_TcpWildcardHostAndPortForBind_GivesStarAndPortZero()
    {
        var endpoint = Endpoint.Parse("tcp://*:*", forBind: true);
        Assert.Equal(TransportKind.Tcp, endpoint.Kind);
        Assert.Equal("*", endpoint.Host);
        Assert.Equal(0, endpoint.Port);
        Assert.Equal("tcp://*:*", endpoint.ToString());
    }

    [Fact]
    public void Parse_TcpBracketedIpv6_StripsBrackets()
    {
        var endpoint = Endpoint.Parse("tcp://[::1]:80", forBind: false);
        Assert.Equal("::1", endpoint.Host);
        Assert.Equal(80, endpoint.Port);
        Assert.Equal("tcp://[::1]:80", endpoint.ToString());
    }

    [Theory]
    [InlineData("tcp://localhost:1", "localhost", 1)]
    [InlineData("tcp://example.org:65535", "example.org", 65535)]
    public void Parse_TcpHostName_GivesHostAndPort(string text, string host, int port)
    {
        var endpoint = Endpoint.Parse(text, forBind: false);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(text, endpoint.ToString());
    }

    [Fact]
    public void Parse_TcpPortZeroForBind_MeansAnyFreePort() =>
        Assert.Equal(0, Endpoint.Parse("tcp://127.0.0.1:0", forBind: true).Port);

    [Fact]
    public void Parse_Ipc_GivesPath()
    {
        var endpoint = Endpoint.Parse("ipc:///tmp/expair.sock", forBind: true);
        Assert.Equal(new Endpoint(TransportKind.Ipc, "/tmp/expair.sock", "", 0), endpoint);
        Assert.Equal("ipc:///tmp/expair.sock", endpoint.ToString());
    }

    [Fact]
    public void Parse_IpcPathAtTheSystemsLimit_IsAccepted()
    {
        var path = "/" + new string('p', IpcPathLimit.MaxBytes - 1);
        Assert.Equal(path, Endpoint.Parse("ipc://" + path, forBind: true).Address);
    }

    [Fact]
    public void Parse_Inproc_GivesName()
    {
        var endpoint = Endpoint.Parse("inproc://my-pipe", forBind: false);
        Assert.Equal(new Endpoint(TransportKind.InProc, "my-pipe", "", 0), endpoint);
        Assert.Equal("inproc://my-pipe", endpoint.ToString());
    }

    [Theory]
    [InlineData("tcp://", false)]
    [InlineData("tcp://", true)]
    [InlineData("tcp://host", true)]
    [InlineData("tcp://host:", true)]
    [InlineData("tcp://:5555", true)]
    [InlineData("tcp://host:notaport", false)]
    [InlineData("tcp://host:-1", true)]
    [InlineData("tcp://host:0", false)]
    [InlineData("tcp://host:*", false)]
    [InlineData("tcp://host:70000", false)]
    [InlineData("tcp://host:70000", true)]
    [InlineData("tcp://host:65536", true)]
    [InlineData("tcp://*:5555", false)]
    [InlineData("tcp://*:*", false)]
    [InlineData("foo://x", true)]
    [InlineData("TCP://host:1", false)]
    [InlineData("nonsense", true)]
    [InlineData("://x", true)]
    [InlineData("", true)]
    [InlineData("inproc://", true)]
    [InlineData("ipc://", true)]
    public void Parse_Invalid_ThrowsNamingEndpoint(string text, bool forBind)
    {
        var error = Assert.Throws<ArgumentException>(() => Endpoint.Parse(text, forBind));
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Equal("endpoint", error.ParamName);
    }

    [Fact]
    public void Parse_TcpWithoutPort_ThrowsNamingEndpoint()
    {
        var error = Assert.Throws<ArgumentException>(() => Endpoint.Parse("tcp://127.0.0.1", forBind: false));
        Assert.Contains("tcp://127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IpcPathOverTheSystemsLimit_ThrowsNamingEndpoint()
    {
        var text = "ipc:///" + new string('p', IpcPathLimit.MaxBytes);
        var error = Assert.Throws<ArgumentException>(() => Endpoint.Parse(text, forBind: true));
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IpcPathCountsUtf8BytesNotChars()
    {
        var text = "ipc:///" + new string('é', 54); // 55 chars, 109 bytes
        Assert.Throws<ArgumentException>(() => Endpoint.Parse(text, forBind: true));
    }

    [Fact]
    public void Parse_IpcPathWithNul_Throws() =>
        Assert.Throws<ArgumentException>(() => Endpoint.Parse("ipc:///tmp/a\0b", forBind: true));

    [Fact]
    public void Parse_InprocNameLimit_Is256Characters()
    {
        Assert.Equal(TransportKind.InProc, Endpoint.Parse("inproc://" + new string('n', 256), forBind: true).Kind);
        Assert.Throws<ArgumentException>(() => Endpoint.Parse("inproc://" + new string('n', 257), forBind: true));
    }

    [Fact]
    public void Parse_Null_ThrowsArgumentNull() =>
        Assert.Throws<ArgumentNullException>(() => Endpoint.Parse(null!, forBind: true));
}
