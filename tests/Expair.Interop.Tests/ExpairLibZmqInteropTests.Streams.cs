using System.Runtime.InteropServices;
using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>Streams of messages: long pipelined bursts, and traffic both ways at once.</summary>
public sealed partial class ExpairLibZmqInteropTests
{
    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void HundredThousandPipelinedMessages_EachWay_ArriveInOrder(string transport, Binder binder)
    {
        const int Count = 100_000;
        var link = Connect(transport, binder);

        // libzmq → Expair: the sender does not wait per message; the high-water marks pace it.
        RunConcurrently(
            () =>
            {
                for (int i = 0; i < Count; i++)
                {
                    int index = IndexOf(link.Expair.ReceiveBytes(), i);
                    if (index != i)
                    {
                        Assert.Fail($"libzmq → Expair: message {i} carried index {index}.");
                    }
                }

                link.Expair.Send(Ack);
            },
            () =>
            {
                for (int i = 0; i < Count; i++)
                {
                    link.LibZmq.Send(Index(i));
                }

                Assert.Equal([Ack], link.LibZmq.Receive());
            });

        // Expair → libzmq.
        RunConcurrently(
            () =>
            {
                for (int i = 0; i < Count; i++)
                {
                    var frames = link.LibZmq.Receive();
                    int index = frames.Count == 1 ? IndexOf(frames[0], i) : -2;
                    if (index != i)
                    {
                        Assert.Fail($"Expair → libzmq: message {i} carried index {index} ({frames.Count} frames).");
                    }
                }

                link.LibZmq.Send(Ack);
            },
            () =>
            {
                for (int i = 0; i < Count; i++)
                {
                    link.Expair.Send(Index(i));
                }

                Assert.Equal(Ack, link.Expair.ReceiveBytes());
            });

        Assert.False(link.Expair.TryReceive(out _, TimeSpan.Zero));
        Assert.False(link.LibZmq.TryReceive(out _, timeoutMs: 0));
    }

    [Theory]
    [MemberData(nameof(TransportsAndBinders))]
    public void SimultaneousTraffic_BothWays_ArrivesInOrder(string transport, Binder binder)
    {
        const int Count = 20_000;
        var link = Connect(transport, binder);

        // Each receiver acknowledges once it has all of the other side's messages; a side is done when it has
        // sent everything, received everything, sent its ack and received the other's ack. An ack may arrive
        // among the data messages, since the other side may still be sending.
        RunConcurrently(
            () => LibZmqSendAndReceive(link.LibZmq, Count),
            () =>
            {
                // Expair's sending thread.
                for (int i = 0; i < Count; i++)
                {
                    link.Expair.Send(Index(i));
                }
            },
            () =>
            {
                // Expair's receiving thread, sending its ack while the other thread may still be sending.
                int received = 0;
                bool ackReceived = false;
                while (received < Count || !ackReceived)
                {
                    int index = IndexOf(link.Expair.ReceiveBytes(), received);
                    if (index < 0)
                    {
                        Assert.False(ackReceived, "libzmq's ack arrived twice.");
                        ackReceived = true;
                        continue;
                    }

                    if (index != received)
                    {
                        Assert.Fail($"libzmq → Expair: message {received} carried index {index}.");
                    }

                    received++;
                    if (received == Count)
                    {
                        link.Expair.Send(Ack);
                    }
                }
            });

        Assert.False(link.Expair.TryReceive(out _, TimeSpan.Zero));
        Assert.False(link.LibZmq.TryReceive(out _, timeoutMs: 0));
    }

    /// <summary>
    /// The libzmq side of simultaneous traffic, on one thread (a libzmq socket is not thread-safe): send and
    /// receive without blocking while either can make progress, and poll for both when neither can.
    /// </summary>
    private static unsafe void LibZmqSendAndReceive(ZmqSocket zmq, int count)
    {
        int sent = 0;
        int received = 0;
        bool ackSent = false;
        bool ackReceived = false;
        while (sent < count || received < count || !ackSent || !ackReceived)
        {
            bool progress = false;
            if (sent < count && zmq.TrySend(Index(sent), more: false, timeoutMs: 0))
            {
                sent++;
                progress = true;
            }

            if (received == count && !ackSent && zmq.TrySend(Ack, more: false, timeoutMs: 0))
            {
                ackSent = true;
                progress = true;
            }

            if (zmq.TryReceive(out List<byte[]> frames, timeoutMs: 0))
            {
                progress = true;
                Assert.Single(frames);
                int index = IndexOf(frames[0], received);
                if (index < 0)
                {
                    Assert.False(ackReceived, "Expair's ack arrived twice.");
                    ackReceived = true;
                }
                else if (index != received)
                {
                    Assert.Fail($"Expair → libzmq: message {received} carried index {index}.");
                }
                else
                {
                    received++;
                }
            }

            if (!progress)
            {
                bool wantOut = sent < count || (received == count && !ackSent);
                var item = new LibZmq.ZmqPollItem
                {
                    Socket = zmq.Handle,
                    Events = (short)(LibZmq.ZMQ_POLLIN | (wantOut ? LibZmq.ZMQ_POLLOUT : 0)),
                };
                int ready = LibZmq.zmq_poll(&item, 1, new CLong(WaitMs));
                if (ready < 0 && LibZmq.zmq_errno() != LibZmq.EINTR)
                {
                    throw ZmqException.Last("zmq_poll");
                }

                Assert.True(ready != 0, $"libzmq side stalled for {WaitMs} ms: sent {sent}/{count}, received {received}/{count}, ack sent {ackSent}, ack received {ackReceived}.");
            }
        }
    }
}
