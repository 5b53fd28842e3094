using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>Message content: single frames, empty and multipart messages, every byte value, large messages.</summary>
public sealed partial class ExpairLibZmqInteropTests
{
    public static TheoryData<string, Binder, int> TransportsBindersAndLargeSizes
    {
        get
        {
            var data = new TheoryData<string, Binder, int>();
            foreach (var (transport, binder) in new[] { ("tcp", Binder.LibZmq), ("tcp", Binder.Expair), ("ipc", Binder.LibZmq), ("ipc", Binder.Expair) })
            {
                data.Add(transport, binder, 1024 * 1024);
                data.Add(transport, binder, 64 * 1024 * 1024);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void SingleFrames_BothWays_ArriveIntact(string transport, Binder binder)
    {
        var link = Connect(transport, binder);

        link.LibZmq.Send("hello from libzmq"u8);
        Assert.Equal(["hello from libzmq"], ReceiveStrings(link.Expair));

        link.Expair.Send("hello from expair");
        Assert.Equal(["hello from expair"], Strings(link.LibZmq.Receive()));

        // And a few more each way, to show the link keeps working in both directions.
        for (int i = 0; i < 3; i++)
        {
            link.LibZmq.Send(Bytes($"zmq {i}"));
            link.Expair.Send($"expair {i}");
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal($"zmq {i}", link.Expair.ReceiveString());
            Assert.Equal([$"expair {i}"], Strings(link.LibZmq.Receive()));
        }
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void EmptyMessage_BothWays_ArrivesAsOneEmptyFrame(string transport, Binder binder)
    {
        var link = Connect(transport, binder);

        link.LibZmq.Send(ReadOnlySpan<byte>.Empty);
        link.LibZmq.Send("after"u8);
        var fromZmq = ReceiveFrames(link.Expair);
        Assert.Single(fromZmq);
        Assert.Empty(fromZmq[0]);
        Assert.Equal("after", link.Expair.ReceiveString());

        link.Expair.Send(ReadOnlySpan<byte>.Empty);
        link.Expair.Send(new Message(Array.Empty<byte>()));
        link.Expair.Send("after");
        for (int i = 0; i < 2; i++)
        {
            var fromExpair = link.LibZmq.Receive();
            Assert.Single(fromExpair);
            Assert.Empty(fromExpair[0]);
        }

        Assert.Equal(["after"], Strings(link.LibZmq.Receive()));
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void Multipart_WithEmptyFrames_BothWays_ArrivesAsOneMessage(string transport, Binder binder)
    {
        var link = Connect(transport, binder);

        link.LibZmq.Send(Bytes("first"), [], Bytes("last"));
        link.LibZmq.Send([], Bytes("x"));
        link.LibZmq.Send(Bytes("a"), Bytes("b"), []);
        Assert.Equal(["first", "", "last"], ReceiveStrings(link.Expair));
        Assert.Equal(["", "x"], ReceiveStrings(link.Expair));
        Assert.Equal(["a", "b", ""], ReceiveStrings(link.Expair));

        link.Expair.Send(new Message("first", "", "last"));
        link.Expair.Send(new Message("", "x"));
        link.Expair.Send(new Message("a", "b", ""));
        Assert.Equal(["first", "", "last"], Strings(link.LibZmq.Receive()));
        Assert.Equal(["", "x"], Strings(link.LibZmq.Receive()));
        Assert.Equal(["a", "b", ""], Strings(link.LibZmq.Receive()));

        // Nothing extra: each multipart message arrived as exactly one message.
        Assert.False(link.Expair.TryReceive(out _, TimeSpan.Zero));
        Assert.False(link.LibZmq.TryReceive(out _, timeoutMs: 0));
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void AllByteValues_BothWays_ArriveUnchanged(string transport, Binder binder)
    {
        var link = Connect(transport, binder);
        byte[] all = [.. Enumerable.Range(0, 256).Select(b => (byte)b)];
        byte[][] oneFramePerValue = [.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b })];

        link.LibZmq.Send(all);
        link.LibZmq.Send(oneFramePerValue);
        Assert.Equal(all, link.Expair.ReceiveBytes());
        Assert.Equal(oneFramePerValue, ReceiveFrames(link.Expair));

        link.Expair.Send(all);
        link.Expair.Send(new Message(oneFramePerValue));
        Assert.Equal([all], link.LibZmq.Receive());
        Assert.Equal(oneFramePerValue, link.LibZmq.Receive());
    }

    [Theory]
    [MemberData(nameof(TransportsBindersAndLargeSizes))]
    public void LargeMessage_BothWays_ArrivesExactly(string transport, Binder binder, int size)
    {
        var link = Connect(transport, binder);
        byte[] toExpair = RandomBytes(size, seed: size);
        byte[] toZmq = RandomBytes(size, seed: size + 1);

        link.LibZmq.Send(toExpair);
        var received = ReceiveFrames(link.Expair);
        Assert.Single(received);
        AssertSameBytes(toExpair, received[0]);

        link.Expair.Send(toZmq);
        var frames = link.LibZmq.Receive();
        Assert.Single(frames);
        AssertSameBytes(toZmq, frames[0]);
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void LargeMultipart_WithSmallAndEmptyFrames_BothWays_ArrivesExactly(string transport, Binder binder)
    {
        var link = Connect(transport, binder);
        byte[][] message = [Bytes("header"), [], RandomBytes(3 * 1024 * 1024 + 17, seed: 7), [0], RandomBytes(70_000, seed: 8)];

        link.LibZmq.Send(message);
        var atExpair = ReceiveFrames(link.Expair);
        Assert.Equal(message.Length, atExpair.Length);
        for (int i = 0; i < message.Length; i++)
        {
            AssertSameBytes(message[i], atExpair[i]);
        }

        link.Expair.Send(new Message(message));
        var atZmq = link.LibZmq.Receive();
        Assert.Equal(message.Length, atZmq.Count);
        for (int i = 0; i < message.Length; i++)
        {
            AssertSameBytes(message[i], atZmq[i]);
        }
    }
}
