using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using Expair.Engine;
using Expair.Protocol;
using Expair.Tests.Events;
using Expair.Tests.Hostile;
using Expair.Tests.Platform;

namespace Expair.Tests.Engine;

/// <summary>
/// Reads on the caller's thread (ReadLease.cs): a blocked receiver reads the socket itself while the
/// receive thread lends it the read side. The path is really taken, messages arrive whole, in order and once, and
/// what the receive thread did while it read — answering PINGs, seeing the end of the connection, a protocol
/// violation, a body still arriving — still happens when a caller holds the read side.
/// </summary>
[Trait(LinuxPath.Trait, LinuxPath.Value)]
public sealed class CallerReadTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public CallerReadTests() => LinuxPath.Require();

    public static TheoryData<string> Transports => new() { "tcp://127.0.0.1:*", $"ipc://{Path.GetTempPath()}expair-caller-{Guid.NewGuid():N}.sock" };

    [Theory]
    [MemberData(nameof(Transports))]
    public void BlockingRoundTrips_ReadOnTheCallersThreads_AndArriveWholeInOrder(string bindTo)
    {
        const int RoundTrips = 300;
        int[] sizes = [0, 1, 100, 5000, 70_000, 300_000, 1024 * 1024];
        var options = new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience };
        using var server = new PairSocket(options);
        using var client = new PairSocket(options);
        client.Connect(server.Bind(bindTo));
        // Lent read sides stay lent: on a busy machine a caller may come back after the receive thread's lend time,
        // which would take the read side back (production's choice, tested on its own below) and make the count
        // asserted at the end depend on the machine's speed.
        var serverConnection = RunningConnection.Of(server, Patience);
        var clientConnection = RunningConnection.Of(client, Patience);
        serverConnection.KeepLent = true;
        clientConnection.KeepLent = true;
        var echo = new Thread(() =>
        {
            using var request = new Message();
            for (var i = 0; i < RoundTrips; i++)
            {
                if (!server.TryReceive(request, Patience))
                    return;
                server.SendAndClear(request);
            }
        }) { IsBackground = true };
        echo.Start();

        // Payloads made once: a caller that spends a millisecond between receives finds the read side taken back.
        var payloads = sizes.Select(size => Numbered(size, 0)).ToArray();
        using var request = new Message();
        using var reply = new Message();
        for (var i = 0; i < RoundTrips; i++)
        {
            var payload = payloads[i % sizes.Length];
            var body = request.AddBuffer(payload.Length).Span;
            payload.CopyTo(body);
            if (body.Length >= 8)
                BinaryPrimitives.WriteInt64LittleEndian(body, i);
            client.SendAndClear(request);
            Assert.True(client.TryReceive(reply, Patience), $"round trip {i} never came back");
            Assert.True(reply.Count == 1 && reply[0].Length == payload.Length, $"round trip {i} came back with another size");
            var echoed = reply[0].Span;
            Assert.True(echoed.Length < 8 ? echoed.SequenceEqual(payload) : BinaryPrimitives.ReadInt64LittleEndian(echoed) == i && echoed[8..].SequenceEqual(payload.AsSpan(8)),
                $"round trip {i} ({payload.Length} B) came back changed");
        }
        Assert.True(echo.Join(Patience), "the echo thread did not finish");

        // Each side's receive thread lends the read side once a caller waits, and it stays lent: at least half the
        // messages must have been read by the callers.
        Assert.InRange(serverConnection.CallerReads, RoundTrips / 2, long.MaxValue);
        Assert.InRange(clientConnection.CallerReads, RoundTrips / 2, long.MaxValue);
    }

    [Fact]
    public async Task PeerPing_WhileACallerHoldsTheReadSide_IsAnswered_AndTheNextMessageReachesThatCaller()
    {
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var (peer, engine) = await LentAsync(server);
        using (peer)
        {
            await SentAsync(server, peer); // a caller that sent something reads itself
            var waiting = Task.Run(() => server.TryReceive(out var message, Patience) ? message : null);
            Assert.True(SpinWait.SpinUntil(() => engine.CallerHoldsReadSide, Patience), "the caller never took the read side");

            var ping = new byte[64];
            await peer.SendAsync(ping[..Commands.WritePing(ping, 0, "ctx"u8)]);
            var pong = new byte[64];
            var expected = pong[..Commands.WritePong(pong, "ctx"u8)];
            Assert.Equal(expected, await peer.ReadExactlyAsync(expected.Length, Patience));

            await peer.SendAsync([0x00, 0x01, (byte)'b']);
            using var message = await waiting.WaitAsync(Patience);
            Assert.NotNull(message);
            Assert.Equal("b", message.GetString(0));
        }
    }

    [Fact]
    public async Task ReadSideLent_AfterTheCallerWhoAskedWentToWait_WakesThatCaller_WhichReadsTheNextMessage()
    {
        // The caller asks while the receive thread holds the read side, and waits on the queue; the receive thread
        // then lends it without delivering anything (it only answered a PING). Unwoken, the caller would sleep and the
        // lent read side sit unused with the next message in the socket: until the receive thread took it back for
        // going unused (20 ms later, round trip after round trip once in step), and here, kept lent, never.
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        using var peer = await RawPeer.ConnectAsync(server.Bind("tcp://127.0.0.1:*"));
        await peer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
        await peer.ReadExactlyAsync(64 + RawPeer.Ready("PAIR").Length, Patience);
        var engine = RunningConnection.Of(server, Patience);
        Assert.NotNull(engine);
        engine.KeepLent = true;
        await SentAsync(server, peer); // a caller that sent something reads itself
        Assert.False(engine.ReadSideLent); // the receive thread reads: nobody asked yet

        var callerReads = engine.CallerReads;
        var waiting = Task.Run(() => server.TryReceive(out var message, Patience) ? message : null);
        // Seen asking, the receive thread is in its read and lends only after the PING below. It may also lend at once,
        // when it was between two reads as the caller asked (a thread started late): the caller then waits on the pipe
        // all the same, and the same wake-up must reach it.
        Assert.True(SpinWait.SpinUntil(() => engine.CallerAskedToRead || engine.ReadSideLent, Patience), "the caller never asked for the read side");
        var ping = new byte[64];
        await peer.SendAsync(ping[..Commands.WritePing(ping, 0, "ctx"u8)]);
        var pong = new byte[64];
        var expected = pong[..Commands.WritePong(pong, "ctx"u8)];
        Assert.Equal(expected, await peer.ReadExactlyAsync(expected.Length, Patience));
        Assert.True(SpinWait.SpinUntil(() => engine.ReadSideLent, Patience), "the receive thread never lent the read side");

        await peer.SendAsync([0x00, 0x01, (byte)'b']);
        using var message = await waiting.WaitAsync(Patience + Patience);
        Assert.NotNull(message);
        Assert.Equal("b", message.GetString(0));
        Assert.True(engine.CallerReads > callerReads, "the caller did not read the message itself");
    }

    [Fact]
    public async Task PeerClosing_WhileACallerHoldsTheReadSide_EndsTheConnection_AsPeerClosed()
    {
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var events = new MonitorReading(server.Monitor());
        var (peer, engine) = await LentAsync(server);
        await SentAsync(server, peer);
        var waiting = Task.Run(() => server.TryReceive(out var message, TimeSpan.FromSeconds(3)));
        Assert.True(SpinWait.SpinUntil(() => engine.CallerHoldsReadSide, Patience), "the caller never took the read side");

        peer.Dispose();
        var disconnected = (await events.UntilAsync(SocketEventKind.Disconnected))[^1];
        Assert.Equal("peer closed the connection", disconnected.Reason);
        Assert.False(await waiting.WaitAsync(Patience), "a message came from nowhere");
        Assert.False(server.HasPeer);
    }

    [Fact]
    public async Task MalformedFrame_WhileACallerHoldsTheReadSide_EndsTheConnection_AndTheCallerOnlyTimesOut()
    {
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var events = new MonitorReading(server.Monitor());
        var (peer, engine) = await LentAsync(server);
        using (peer)
        {
            await SentAsync(server, peer); // a caller that sent something reads itself
            var waiting = Task.Run(() => server.TryReceive(out var message, TimeSpan.FromSeconds(3)));
            Assert.True(SpinWait.SpinUntil(() => engine.CallerHoldsReadSide, Patience), "the caller never took the read side");

            await peer.SendAsync([0xFF, 0x01, 0x02]); // reserved flag bits: not a frame
            var failed = (await events.UntilAsync(SocketEventKind.ProtocolError))[^1];
            Assert.Equal("malformed frame header", failed.Reason);
            Assert.False(await waiting.WaitAsync(Patience), "the caller got a message from a malformed frame");
        }
    }

    [Fact]
    public async Task ReceiveTimeout_WhileACallerHoldsTheReadSide_IsKept_AndTheReadSideIsGivenBack()
    {
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var (peer, engine) = await LentAsync(server);
        using (peer)
        {
            await SentAsync(server, peer);
            var timer = Stopwatch.StartNew();
            Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(300)));
            Assert.InRange(timer.Elapsed, TimeSpan.FromMilliseconds(290), Patience);
            Assert.True(engine.CallerReads > 0, "the caller never read");
            Assert.False(engine.CallerHoldsReadSide, "the caller kept the read side after its receive timed out");

            await SendAndReceiveAsync(peer, server, "c");
        }
    }

    [Fact]
    public async Task LargeBodies_CutByACallersDeadline_AreFinishedWhole_ByTheReceiveThread_AndByTheNextCaller()
    {
        const int Large = 1024 * 1024;
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var (peer, engine) = await LentAsync(server);
        using (peer)
        {
            byte[] header = [0x02, .. BitConverter.GetBytes((long)Large).Reverse()];
            var first = Enumerable.Range(0, Large).Select(i => (byte)(i * 31 + 7)).ToArray();
            var second = Enumerable.Range(0, Large).Select(i => (byte)(i * 17 + 3)).ToArray();

            // An async receiver makes the receive thread take the read side back and finish the body a caller began.
            await peer.SendAsync([.. header, .. first[..100_000]]);
            await SentAsync(server, peer);
            Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(300)), "a message arrived before its body");
            Assert.True(engine.CallerReads > 0 && engine.ReadSideLent, "no caller began the body");
            var pending = server.ReceiveAsync().AsTask();
            Assert.True(SpinWait.SpinUntil(() => !engine.ReadSideLent, Patience), "the receive thread never took the read side back");
            await peer.SendAsync(first[100_000..]);
            using (var finished = await pending.WaitAsync(Patience))
                Assert.True(first.AsSpan().SequenceEqual(finished[0].Span), "the message finished by the receive thread arrived changed");

            // The next blocking caller finishes the body that a timed-out one began.
            await LendAgainAsync(peer, server, engine);
            var reads = engine.CallerReads;
            await peer.SendAsync([.. header, .. second[..100_000]]);
            await SentAsync(server, peer);
            Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(300)), "a message arrived before its body");
            Assert.True(engine.CallerReads > reads && engine.ReadSideLent, "no caller began the body");
            await peer.SendAsync(second[100_000..]);
            await SentAsync(server, peer);
            Assert.True(server.TryReceive(out var whole, Patience), "the cut message never came");
            using (whole)
                Assert.True(second.AsSpan().SequenceEqual(whole![0].Span), "the cut message arrived changed");
            Assert.True(engine.CallerReads > reads + 1, "the next caller did not read");
        }
    }

    [Fact]
    public async Task AReceiverThatSendsNothing_LeavesReadingToTheReceiveThread()
    {
        // A consumer behind a stream: the receive thread takes the read side back and reads ahead of it.
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var (peer, engine) = await LentAsync(server);
        using (peer)
        {
            var reads = engine.CallerReads;
            await peer.SendAsync([0x00, 0x01, (byte)'x', 0x00, 0x01, (byte)'y', 0x00, 0x01, (byte)'z']);
            foreach (var letter in "xyz")
            {
                Assert.True(server.TryReceive(out var message, Patience), $"message {letter} never came");
                using (message)
                    Assert.Equal(letter.ToString(), message!.GetString(0));
            }
            Assert.Equal(reads, engine.CallerReads);
            Assert.False(engine.ReadSideLent, "the read side stayed lent to a receiver that sends nothing");
            Assert.False(engine.CallerAskedToRead, "a receiver that sends nothing asked for the read side");
        }
    }

    [Fact]
    public async Task AReply_FoundWaiting_AfterTheCallerSent_IsReadByTheCaller()
    {
        // Request, then a reply that is there before the caller's receive: a fast peer, not a stream.
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience, SendTimeout = Patience });
        var (peer, engine) = await LentAsync(server);
        using (peer)
        {
            var reads = engine.CallerReads;
            for (var i = 0; i < 3; i++)
            {
                server.Send("q");
                var (flags, body) = await peer.ReadFrameAsync(Patience);
                Assert.True(flags == 0 && body.AsSpan().SequenceEqual("q"u8), "the request arrived changed");
                await peer.SendAsync([0x00, 0x01, (byte)'r']);
                Assert.True(SpinWait.SpinUntil(() => engine.BytesWaiting, Patience), "the reply never reached the socket");
                Assert.True(server.TryReceive(out var reply, Patience), $"reply {i} never came");
                using (reply)
                    Assert.Equal("r", reply!.GetString(0));
            }
            Assert.Equal(reads + 3, engine.CallerReads);
            Assert.True(engine.ReadSideLent, "a reply found waiting was taken for a stream");
        }
    }

    [Fact]
    public async Task ACallerWaitingLong_LetsTheReceiveThreadSleep_UntilItGivesTheReadSideBack()
    {
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var (peer, engine) = await LentAsync(server);
        using (peer)
        {
            // Held past a whole lend period, the receive thread stops looking every period and sleeps.
            await SentAsync(server, peer); // a caller that sent something reads itself
            var waiting = Task.Run(() => server.TryReceive(out _, TimeSpan.FromSeconds(1)));
            Assert.True(SpinWait.SpinUntil(() => engine.LenderSleeps, Patience), "the receive thread never slept while the caller held the read side");
            Assert.True(engine.CallerHoldsReadSide);

            // Giving it back (the receive timed out) wakes it: otherwise it would sleep for good.
            Assert.False(await waiting.WaitAsync(Patience), "a message came from nowhere");
            Assert.True(SpinWait.SpinUntil(() => !engine.LenderSleeps, Patience), "giving the read side back did not wake the receive thread");

            await SendAndReceiveAsync(peer, server, "e");
        }
    }

    [Fact]
    public async Task AsyncReceiver_AfterBlockingOnes_TakesTheReadSideBackAtOnce()
    {
        // Lent "for good": only the async receiver's wait may take the read side back.
        using var server = new PairSocket(new PairSocketOptions { ReceiveTimeout = Patience });
        var (peer, engine) = await LentAsync(server);
        using (peer)
        {
            Assert.True(engine.ReadSideLent);
            var pending = server.ReceiveAsync().AsTask();
            await peer.SendAsync([0x00, 0x01, (byte)'d']);
            using var message = await pending.WaitAsync(Patience);
            Assert.Equal("d", message.GetString(0));
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task TwoBlockingReceivers_AndAnAsyncOne_OnOneStream_GetEveryMessageOnce(string bindTo)
    {
        const int Messages = 20_000;
        var options = new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = TimeSpan.FromSeconds(2) };
        using var sender = new PairSocket(options);
        using var receiver = new PairSocket(options);
        receiver.Connect(sender.Bind(bindTo));

        var seen = new ConcurrentDictionary<long, int>();
        var done = new CountdownEvent(Messages);
        void Take(Message message)
        {
            Assert.True(message.Count == 1, "a message arrived split");
            var number = BinaryPrimitives.ReadInt64LittleEndian(message[0].Span);
            Assert.True(Numbered(message[0].Length, number).AsSpan().SequenceEqual(message[0].Span), $"message {number} arrived changed");
            seen.AddOrUpdate(number, 1, (_, count) => count + 1);
            done.Signal();
        }
        var stop = new CancellationTokenSource();
        var blocking = Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(() =>
        {
            using var message = new Message();
            while (!stop.IsCancellationRequested)
            {
                if (receiver.TryReceive(message, TimeSpan.FromMilliseconds(50)))
                    Take(message);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        var async = Task.Run(async () =>
        {
            using var message = new Message();
            try
            {
                while (true)
                {
                    await receiver.ReceiveAsync(message, stop.Token);
                    Take(message);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        for (var i = 0; i < Messages; i++)
        {
            // Mostly small, some large, in bursts and one at a time, so every reader meets idle and busy lines.
            sender.Send(Numbered(i % 97 == 0 ? 200_000 : 8 + i % 300, i));
            if (i % 1000 == 999)
                Thread.Yield();
        }
        Assert.True(done.Wait(Patience), $"{done.CurrentCount} of {Messages} messages never came");
        stop.Cancel();
        await Task.WhenAll([.. blocking, async]).WaitAsync(Patience);
        Assert.Equal(Messages, seen.Count);
        Assert.All(seen, pair => Assert.Equal(1, pair.Value));
    }

    /// <summary>
    /// A raw ZMTP peer connected to <paramref name="server"/>, after one message that a blocking receive got: the
    /// server's receive thread has then lent the read side, and keeps it lent until told otherwise.
    /// </summary>
    private static async Task<(RawPeer Peer, IConnectionProbe Engine)> LentAsync(PairSocket server)
    {
        var peer = await RawPeer.ConnectAsync(server.Bind("tcp://127.0.0.1:*"));
        try
        {
            await peer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
            await peer.ReadExactlyAsync(64 + RawPeer.Ready("PAIR").Length, Patience);
            var engine = RunningConnection.Of(server, Patience);
            Assert.NotNull(engine);
            engine.KeepLent = true;
            await LendAgainAsync(peer, server, engine);
            return (peer, engine);
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// After a message sent, receives until one receive asks for the read side; then one message, which the receive
    /// thread reads and lends the read side after (or the caller reads, when it was lent at once). Either way the
    /// caller has taken a message since it asked, so its next receive is a new ask, judged afresh.
    /// </summary>
    private static async Task LendAgainAsync(RawPeer peer, PairSocket server, IConnectionProbe engine)
    {
        await SentAsync(server, peer);
        var asking = Stopwatch.StartNew();
        while (!engine.CallerAskedToRead && !engine.ReadSideLent)
        {
            Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(10)), "a message came from nowhere");
            Assert.True(asking.Elapsed < Patience, "no receive asked for the read side");
        }
        await SendAndReceiveAsync(peer, server, "a");
        Assert.True(SpinWait.SpinUntil(() => engine.ReadSideLent, Patience), "the receive thread never lent the read side");
    }

    /// <summary>The server sends a message, which the raw peer reads: the server's next receive is one of a request-reply exchange.</summary>
    private static async Task SentAsync(PairSocket server, RawPeer peer)
    {
        server.Send("s");
        var (flags, body) = await peer.ReadFrameAsync(Patience);
        Assert.True(flags == 0 && body.AsSpan().SequenceEqual("s"u8), "the server's message arrived changed");
    }

    /// <summary>The raw peer sends a one-letter message, and a blocking receive must get it.</summary>
    private static async Task SendAndReceiveAsync(RawPeer peer, PairSocket server, string letter)
    {
        await peer.SendAsync([0x00, 0x01, (byte)letter[0]]);
        Assert.True(server.TryReceive(out var message, Patience), $"message {letter} never came");
        using (message)
            Assert.Equal(letter, message!.GetString(0));
    }

    /// <summary><paramref name="size"/> bytes: the number in the first 8 (when they fit), then a pattern derived from it.</summary>
    private static byte[] Numbered(int size, long number)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
            bytes[i] = (byte)(i * 7 + number);
        if (size >= 8)
            BinaryPrimitives.WriteInt64LittleEndian(bytes, number);
        return bytes;
    }
}
