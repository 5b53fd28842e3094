using System.Net.Sockets;

namespace Expair.Tests.Transport;

/// <summary>Transport's own bind errors reach the caller as the public <see cref="EndpointException"/>, cause kept.</summary>
public class BindErrorTests
{
    [Fact]
    public void Bind_TcpPortInUse_ThrowsEndpointExceptionWithTheSocketError()
    {
        using var first = new PairSocket();
        var endpoint = first.Bind("tcp://127.0.0.1:*");
        using var second = new PairSocket();
        var error = Assert.Throws<EndpointException>(() => second.Bind(endpoint));
        Assert.Equal($"{endpoint}: the address is already in use", error.Message);
        Assert.Equal(endpoint, error.Endpoint);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
    }
}
