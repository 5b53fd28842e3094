using System.Buffers.Binary;
using Expair.Tests.Platform;

namespace Expair.Tests.Engine;

/// <summary>
/// Replies to large messages written by the receive thread that delivered the request (ReplyWait.cs): they
/// arrive whole and in order, also while other threads send on the same socket, and the path is really taken.
/// </summary>
public sealed class ReplyFromReceiveThreadTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private const int Large = 128 * 1024;

    public static TheoryData<string> Transports => new() { "tcp://127.0.0.1:*", $"ipc://{Path.GetTempPath()}expair-reply-{Guid.NewGuid():N}.sock" };

    [Theory]
    [MemberData(nameof(Transports))]
    [Trait(LinuxPath.Trait, LinuxPath.Value)] // the hand-over to the receive thread rides on direct writes
    public void LargeRequests_AnsweredWhileTheReceiveThreadWaits_AreWrittenByIt(string bindTo)
    {
        LinuxPath.Require();
        const int RoundTrips = 50;
        var (server, client) = Connected(bindTo);
        using (server)
        using (client)
        {
            // The first exchange settles the connection (the server's engine holds the slot once it has a message).
            SendNumbered(client, 8, -1);
            Assert.True(server.TryReceive(new Message(), Patience), "no first message");
            var engine = RunningConnection.Of(server, Patience);
            Assert.NotNull(engine);
            engine.ReplyWait = Patience; // long enough to be sure to catch every reply, however slow the machine
            var sendThread = Probes.Of(server).Outbound!.Readable;

            // Reply only once the receive thread waits for it and the send thread sleeps: the case handed over.
            var echo = StartEcho(server, RoundTrips, replyWhen: () => engine.AwaitingReply && sendThread.Waiters > 0);
            ExchangeNumbered(client, RoundTrips);
            Assert.True(echo.Join(Patience), "the echo thread did not finish");
            Assert.Equal(RoundTrips, engine.RepliesHandedOver);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void LargeRequests_EchoedAtOnce_AreAnsweredWholeAndInOrder(string bindTo)
    {
        const int RoundTrips = 300;
        var (server, client) = Connected(bindTo);
        using (server)
        using (client)
        {
            var echo = StartEcho(server, RoundTrips);
            ExchangeNumbered(client, RoundTrips);
            Assert.True(echo.Join(Patience), "the echo thread did not finish");
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void LargeReplies_AndAnotherThreadsStream_OnOneSocket_ArriveWholeInOrderAndOnce(string bindTo)
    {
        const int RoundTrips = 200;
        const int Streamed = 20_000;
        var (server, client) = Connected(bindTo);
        using (server)
        using (client)
        {
            var echo = StartEcho(server, RoundTrips);
            var stream = new Thread(() =>
            {
                Span<byte> small = stackalloc byte[8];
                for (var n = 0; n < Streamed; n++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(small, n);
                    server.Send(small);
                }
            }) { IsBackground = true };
            stream.Start();

            var received = new Message();
            var nextStreamed = 0;
            void Take()
            {
                Assert.True(client.TryReceive(received, Patience), $"stalled after {nextStreamed} streamed messages");
            }
            for (var i = 0; i < RoundTrips; i++)
            {
                SendNumbered(client, Large, i);
                while (true)
                {
                    Take();
                    if (received[0].Length != 8)
                        break;
                    Assert.Equal(nextStreamed++, BinaryPrimitives.ReadInt64LittleEndian(received[0].Span));
                }
                AssertNumbered(received, Large, i);
            }
            while (nextStreamed < Streamed)
            {
                Take();
                Assert.Equal(8, received[0].Length);
                Assert.Equal(nextStreamed++, BinaryPrimitives.ReadInt64LittleEndian(received[0].Span));
            }
            Assert.True(echo.Join(Patience) && stream.Join(Patience), "a server thread did not finish");
            Assert.False(client.TryReceive(received, TimeSpan.FromMilliseconds(100)), "a message arrived twice");
        }
    }

    private static (PairSocket Server, PairSocket Client) Connected(string bindTo)
    {
        var options = new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience };
        var server = new PairSocket(options);
        var client = new PairSocket(options);
        client.Connect(server.Bind(bindTo));
        return (server, client);
    }

    /// <summary>
    /// Receives <paramref name="count"/> messages and sends each straight back, as the benchmark's echo does; with
    /// <paramref name="replyWhen"/>, each reply only once it holds (the thread gives up if it never does).
    /// </summary>
    private static Thread StartEcho(PairSocket server, int count, Func<bool>? replyWhen = null)
    {
        var echo = new Thread(() =>
        {
            var message = new Message();
            for (var i = 0; i < count; i++)
            {
                // With replyWhen, async receives: a blocking one may read the socket itself (ReadLease.cs),
                // and the receive thread waits for replies only to what it delivered.
                if (replyWhen is null)
                    server.Receive(message);
                else
                    server.ReceiveAsync(message).AsTask().GetAwaiter().GetResult();
                if (replyWhen is not null && !SpinWait.SpinUntil(replyWhen, Patience))
                    return;
                server.SendAndClear(message);
            }
        }) { IsBackground = true };
        echo.Start();
        return echo;
    }

    /// <summary>Sends <paramref name="count"/> large numbered requests, one at a time, each answered by its own echo.</summary>
    private static void ExchangeNumbered(PairSocket client, int count)
    {
        var reply = new Message();
        for (var i = 0; i < count; i++)
        {
            SendNumbered(client, Large, i);
            Assert.True(client.TryReceive(reply, Patience), $"no reply to request {i}");
            AssertNumbered(reply, Large, i);
        }
    }

    private static void SendNumbered(PairSocket socket, int length, int number)
    {
        var message = new Message();
        var body = message.AddBuffer(length).Span;
        for (var at = 0; at + 4 <= length; at += 4)
            BinaryPrimitives.WriteInt32LittleEndian(body[at..], number * 7919 + at);
        socket.SendAndClear(message);
    }

    private static void AssertNumbered(Message message, int length, int number)
    {
        Assert.True(message.Count == 1, $"reply {number} has {message.Count} frames");
        var body = message[0].Span;
        Assert.Equal(length, body.Length);
        for (var at = 0; at < length; at += 4)
        {
            if (BinaryPrimitives.ReadInt32LittleEndian(body[at..]) != number * 7919 + at)
                Assert.Fail($"reply {number} differs at byte {at}");
        }
    }
}
