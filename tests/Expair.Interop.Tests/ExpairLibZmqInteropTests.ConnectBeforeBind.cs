using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>The connecting side may come first: it queues, retries, and delivers once the binder appears.</summary>
public sealed partial class ExpairLibZmqInteropTests
{
    [Theory]
    [MemberData(nameof(Transports))]
    public void ExpairConnectsBeforeLibZmqBinds_QueuedMessagesArriveAfterTheBind(string transport)
    {
        const int Count = 50;
        string endpoint = FreeEndpoint(transport);
        var expair = Track(new PairSocket(TestOptions));
        var zmq = Track(new ZmqSocket(LibZmq.PAIR));

        expair.Connect(endpoint);
        Assert.True(expair.HasPeer);
        for (int i = 0; i < Count; i++)
        {
            // Queued: nobody listens yet, and these sends must not wait for anyone.
            Assert.True(expair.TrySend($"early {i}", TimeSpan.Zero), $"Expair could not queue message {i} before the bind.");
        }

        Assert.Equal(endpoint, zmq.Bind(endpoint));

        for (int i = 0; i < Count; i++)
        {
            Assert.Equal([$"early {i}"], Strings(zmq.Receive()));
        }

        zmq.Send("welcome"u8);
        Assert.Equal("welcome", expair.ReceiveString());
        expair.Send("later");
        Assert.Equal(["later"], Strings(zmq.Receive()));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void LibZmqConnectsBeforeExpairBinds_QueuedMessagesArriveAfterTheBind(string transport)
    {
        const int Count = 50;
        string endpoint = FreeEndpoint(transport);
        var expair = Track(new PairSocket(TestOptions));
        var zmq = Track(new ZmqSocket(LibZmq.PAIR));

        zmq.Connect(endpoint);
        for (int i = 0; i < Count; i++)
        {
            Assert.True(zmq.TrySend(Bytes($"early {i}"), more: false, timeoutMs: 0), $"libzmq could not queue message {i} before the bind.");
        }

        Assert.Equal(endpoint, expair.Bind(endpoint));

        for (int i = 0; i < Count; i++)
        {
            Assert.Equal($"early {i}", expair.ReceiveString());
        }

        expair.Send("welcome");
        Assert.Equal(["welcome"], Strings(zmq.Receive()));
        zmq.Send("later"u8);
        Assert.Equal("later", expair.ReceiveString());
    }
}
