namespace Expair.Tests.Unit;

/// <summary>
/// Which pipes let a stream receiver gather messages before it looks again (<c>Pipe.WrittenOneByOne</c>): inproc
/// pipes, written by the peer's sending thread one message at a time, in both directions; never a tcp or ipc pipe,
/// which its engine fills with what one read decoded.
/// </summary>
public class GatheringPipesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("inproc", true)]
    [InlineData("tcp", false)]
    [InlineData("ipc", false)]
    public void OnlyInprocPipes_AreWrittenOneByOne(string transport, bool expected)
    {
        using var server = new PairSocket();
        using var client = new PairSocket();
        var endpoint = transport switch
        {
            "inproc" => $"inproc://gathering-{Guid.NewGuid()}",
            "tcp" => "tcp://127.0.0.1:*",
            _ => $"ipc://{Path.Combine(Path.GetTempPath(), $"gathering-{Guid.NewGuid():N}.sock")}",
        };
        client.Connect(server.Bind(endpoint));
        client.Send("ping");
        Assert.True(server.TryReceive(out var ping, Patience), "the first message did not arrive");
        using (ping)
            Assert.Equal("ping", ping!.GetString(0));
        server.Send("pong");
        Assert.True(client.TryReceive(out var pong, Patience), "the reply did not arrive");
        using (pong)
            Assert.Equal("pong", pong!.GetString(0));

        // Each side's outbound pipe is the other side's inbound one (inproc) or is read by its own engine (tcp, ipc).
        Assert.Equal(expected, Probes.Of(client).Outbound!.WrittenOneByOne);
        Assert.Equal(expected, Probes.Of(server).Outbound!.WrittenOneByOne);
    }
}
