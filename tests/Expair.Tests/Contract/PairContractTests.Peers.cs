using System.Collections.Concurrent;
using System.Diagnostics;

namespace Expair.Tests.Contract;

/// <summary>Exclusivity, queue ownership and concurrency.</summary>
public abstract partial class PairContractTests
{
    [Fact]
    public void SecondPeer_IsKeptOut_FirstUndisturbed_ThenGetsInWhenFirstLeaves()
    {
        var (server, first, endpoint) = ConnectedPair();
        using (server)
        {
            using var second = new PairSocket(Options());
            second.Connect(endpoint);
            second.Send("from the second peer"); // queued on its side: it has no slot yet

            // The first peer's traffic is untouched, both ways, in order.
            for (var i = 0; i < 200; i++)
            {
                first.Send($"first {i}");
                server.Send($"to first {i}");
            }
            for (var i = 0; i < 200; i++)
            {
                Assert.Equal($"first {i}", server.ReceiveString());
                Assert.Equal($"to first {i}", first.ReceiveString());
            }
            Assert.False(second.TryReceive(out _, TimeSpan.FromMilliseconds(200)), "the extra peer must never be treated as connected");
            Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(200)), "nothing from the extra peer while the first holds the slot");

            // The first leaves: the waiting peer gets in without anyone calling anything.
            var watch = Stopwatch.StartNew();
            first.Dispose();
            Assert.Equal("from the second peer", server.ReceiveString());
            Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
            server.Send("hello second");
            Assert.Equal("hello second", second.ReceiveString());
        }
    }

    [Fact]
    public void PeerLeaves_WhatItSentStaysReadable()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        {
            for (var i = 0; i < 3; i++)
                client.Send($"last words {i}");
            client.Dispose();
            for (var i = 0; i < 3; i++)
                Assert.Equal($"last words {i}", server.ReceiveString());
        }
    }

    [Fact]
    public void PeerLeaves_WhatWasQueuedToItIsDiscarded_NewPeerStartsClean()
    {
        var (server, first, endpoint) = ConnectedPair(
            serverOptions: Options(sendHwm: 2),
            clientOptions: Options(receiveHwm: 1) with { Linger = TimeSpan.Zero });
        using (server)
        {
            // Fill everything between us and the first peer, which does not read.
            var queued = 0;
            var payload = new byte[64 * 1024];
            while (server.TrySend(payload, TimeSpan.FromMilliseconds(300)))
                queued++;
            Assert.True(queued > 0);
            first.Dispose();
            // Until the server sees the first peer go, a message sent now is still queued to it (its kernel may
            // take a few more bytes after it shut down) and is discarded with that queue, as 31/EXPAIR says.
            Assert.True(SpinWait.SpinUntil(() => !server.HasPeer, TimeSpan.FromSeconds(10)), "the server never saw the first peer go");

            using var second = new PairSocket(Options());
            second.Connect(endpoint);
            // Send blocks until the old queue is gone and the new peer has one: "fresh" is the first it sees.
            server.Send("fresh");
            Assert.Equal("fresh", second.ReceiveString());
            Assert.False(second.TryReceive(out _, TimeSpan.FromMilliseconds(200)));
        }
    }

    [Fact]
    public void ConcurrentSenders_NeverInterleaveMultipartFrames()
    {
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            const int senders = 4;
            const int perSender = 1000;
            var sending = Enumerable.Range(0, senders).Select(s => Task.Run(() =>
            {
                for (var i = 0; i < perSender; i++)
                    client.Send(new Message($"{s}", $"{i}", $"{s}:{i}"));
            })).ToArray();
            var next = new int[senders];
            for (var n = 0; n < senders * perSender; n++)
            {
                using var message = server.Receive();
                Assert.Equal(3, message.Count);
                var s = int.Parse(message.GetString(0), System.Globalization.CultureInfo.InvariantCulture);
                var i = int.Parse(message.GetString(1), System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal($"{s}:{i}", message.GetString(2));
                Assert.Equal(next[s]++, i); // each sender's order is kept
            }
            Assert.True(Task.WaitAll(sending, Patience));
        }
    }

    [Fact]
    public void ConcurrentReceivers_GetEveryMessageOnce_Whole()
    {
        var (server, client, _) = ConnectedPair(Options(sendHwm: 50, receiveHwm: 50), Options(sendHwm: 50, receiveHwm: 50));
        using (server)
        using (client)
        {
            const int total = 20_000;
            var received = 0;
            var seen = new ConcurrentDictionary<int, bool>();
            var errors = new ConcurrentQueue<string>();
            var receivers = Enumerable.Range(0, 3).Select(_ => Task.Factory.StartNew(() =>
            {
                while (Volatile.Read(ref received) < total)
                {
                    if (!server.TryReceive(out var message, TimeSpan.FromMilliseconds(50)))
                        continue;
                    using (message)
                    {
                        // Every third message has two frames: a receiver must never get half of one.
                        var i = int.Parse(message!.GetString(0), System.Globalization.CultureInfo.InvariantCulture);
                        if (message.Count != (i % 3 == 0 ? 2 : 1) || (message.Count == 2 && message.GetString(1) != $"tail{i}"))
                            errors.Enqueue($"message {i} arrived with {message.Count} frame(s)");
                        if (!seen.TryAdd(i, true))
                            errors.Enqueue($"message {i} arrived twice");
                    }
                    Interlocked.Increment(ref received);
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            for (var i = 0; i < total; i++)
            {
                if (i % 3 == 0)
                    client.Send(new Message($"{i}", $"tail{i}"));
                else
                    client.Send($"{i}");
            }
            Assert.True(Task.WaitAll(receivers, Patience), $"{Volatile.Read(ref received)} of {total} received");
            Assert.Empty(errors);
            Assert.Equal(total, seen.Count);
        }
    }

    [Fact]
    public void FullDuplex_BothEndsSendAndReceiveAtOnce_OrderKeptEachWay()
    {
        var (server, client, _) = ConnectedPair(Options(sendHwm: 10, receiveHwm: 10), Options(sendHwm: 10, receiveHwm: 10));
        using (server)
        using (client)
        {
            const int count = 20_000;
            var errors = new ConcurrentQueue<string>();
            void Pump(PairSocket from, string tag) { for (var i = 0; i < count; i++) from.Send($"{tag}{i}"); }
            void Drain(PairSocket to, string tag)
            {
                for (var i = 0; i < count; i++)
                {
                    var got = to.ReceiveString();
                    if (got != $"{tag}{i}")
                        errors.Enqueue($"expected {tag}{i}, got {got}");
                }
            }
            var tasks = new[]
            {
                Task.Run(() => Pump(client, "c")), Task.Run(() => Pump(server, "s")),
                Task.Run(() => Drain(server, "c")), Task.Run(() => Drain(client, "s")),
            };
            Assert.True(Task.WaitAll(tasks, TimeSpan.FromSeconds(60)));
            Assert.Empty(errors);
        }
    }

    [Fact]
    public async Task ReceiveAllAsync_YieldsInOrder_AndEndsWhenDisposed()
    {
        var (server, client, _) = ConnectedPair();
        using (client)
        {
            for (var i = 0; i < 10; i++)
                client.Send($"m{i}");
            var seen = new List<string>();
            await foreach (var message in server.ReceiveAllAsync().WithCancellation(CancellationToken.None))
            {
                using (message)
                    seen.Add(message.GetString());
                if (seen.Count == 10)
                    server.Dispose();
            }
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), seen);
        }
    }
}

public abstract partial class PairContractTests
{
    [Fact]
    public void BinderRestarts_ConnectorReconnects_QueuedMessagesDelivered()
    {
        var endpoint = NewEndpoint();
        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            endpoint = FreeTcpEndpoint();
        using var client = new PairSocket(Options());
        client.Connect(endpoint);
        for (var round = 0; round < 5; round++)
        {
            using var server = new PairSocket(Options());
            server.Bind(endpoint);
            client.Send($"round {round}");
            Assert.Equal($"round {round}", server.ReceiveString());
            server.Send($"reply {round}");
            Assert.Equal($"reply {round}", client.ReceiveString());
            // Queued while the binder is away: delivered to the next one. (Bytes written into a connection
            // whose peer has just closed are lost in the kernel, as with any TCP peer, so the test sends
            // once the client has seen the connection end.)
            server.Dispose();
            Assert.True(SpinWait.SpinUntil(() => !client.IsConnected, Patience), "the client notices the binder left");
            client.Send($"while away {round}");
            using (var next = new PairSocket(Options()))
            {
                next.Bind(endpoint);
                Assert.Equal($"while away {round}", next.ReceiveString());
            }
            // The next round sends right away, so it too waits until the client has seen this binder go.
            Assert.True(SpinWait.SpinUntil(() => !client.IsConnected, Patience), "the client notices the second binder left");
        }
    }
}
