namespace Expair.Tests.Contract;

public class InProcCapacityTests
{
    [Theory]
    [InlineData(3, 4)]
    [InlineData(1, 1)]
    [InlineData(10, 0 + 5)]
    public void InProc_Capacity_IsSenderSendHwmPlusReceiverReceiveHwm(int sendHwm, int receiveHwm)
    {
        var name = $"inproc://capacity-{Guid.NewGuid():N}";
        using var receiver = new PairSocket(new PairSocketOptions { ReceiveHighWaterMark = receiveHwm });
        receiver.Bind(name);
        using var sender = new PairSocket(new PairSocketOptions { SendHighWaterMark = sendHwm });
        sender.Connect(name);
        var accepted = 0;
        while (sender.TrySend($"m{accepted}", TimeSpan.FromMilliseconds(accepted < sendHwm + receiveHwm ? 1000 : 100)))
            accepted++;
        Assert.Equal(sendHwm + receiveHwm, accepted);
        Assert.Equal("m0", receiver.ReceiveString());
        Assert.True(sender.TrySend("room again", TimeSpan.Zero), "one receive frees exactly one place");
        Assert.False(sender.TrySend("full again", TimeSpan.Zero));
    }

    [Fact]
    public void InProc_ConnectBeforeBind_CapacityBecomesTheSumOnceBound()
    {
        var name = $"inproc://late-{Guid.NewGuid():N}";
        using var sender = new PairSocket(new PairSocketOptions { SendHighWaterMark = 2 });
        sender.Connect(name);
        Assert.True(sender.TrySend("a", TimeSpan.Zero));
        Assert.True(sender.TrySend("b", TimeSpan.Zero));
        Assert.False(sender.TrySend("c", TimeSpan.Zero));
        using var receiver = new PairSocket(new PairSocketOptions { ReceiveHighWaterMark = 3 });
        receiver.Bind(name);
        for (var i = 0; i < 3; i++)
            Assert.True(sender.TrySend($"after bind {i}", TimeSpan.Zero));
        Assert.False(sender.TrySend("over", TimeSpan.Zero));
        Assert.Equal("a", receiver.ReceiveString());
    }
}
