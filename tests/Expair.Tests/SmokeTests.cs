namespace Expair.Tests;

public class SmokeTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    [InlineData("inproc")]
    public void BindConnect_SendBothWays(string transport)
    {
        var endpoint = transport switch
        {
            "tcp" => "tcp://127.0.0.1:*",
            "ipc" => $"ipc:///tmp/expair-smoke-{Guid.NewGuid():N}.sock",
            _ => $"inproc://smoke-{Guid.NewGuid():N}",
        };
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = TimeSpan.FromSeconds(5), SendTimeout = TimeSpan.FromSeconds(5) });
        using var client = new PairSocket(new PairSocketOptions { ReceiveTimeout = TimeSpan.FromSeconds(5), SendTimeout = TimeSpan.FromSeconds(5) });
        var bound = server.Bind(endpoint);
        client.Connect(bound);
        client.Send("hello");
        Assert.Equal("hello", server.ReceiveString());
        server.Send("world");
        Assert.Equal("world", client.ReceiveString());
    }
}
