using System.Diagnostics;

namespace Expair.Tests.Contract;

/// <summary>
/// Messages sent one at a time with a pause between them go to the socket from the caller's thread (a direct
/// write, docs/threading.md); when the kernel's buffers fill, what a direct write could not finish is handed to
/// the send thread. Nothing may be lost, doubled or reordered on the way.
/// </summary>
public abstract partial class PairContractTests
{
    [Fact]
    public void PacedSends_IntoAPeerThatStopsReading_ArriveOnceAndInOrder()
    {
        const int Count = 3000;
        var (server, client, _) = ConnectedPair(Options(receiveHwm: 5), Options(sendHwm: 5));
        using (server)
        using (client)
        {
            var sender = Task.Factory.StartNew(() =>
            {
                var payload = new byte[1500];
                for (var i = 0; i < Count; i++)
                {
                    BitConverter.TryWriteBytes(payload, i);
                    client.Send(payload);
                    // A pause longer than the direct-write gap, so that each message is written by this thread.
                    var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20_000;
                    while (Stopwatch.GetTimestamp() < until)
                        Thread.SpinWait(20);
                }
            }, TaskCreationOptions.LongRunning);

            // Read nothing until the sender is held at its high-water mark: the kernel's buffers are full by then.
            var writable = Probes.Of(client).Outbound?.Writable;
            Assert.True(SpinWait.SpinUntil(() => writable is null || writable.Waiters > 0 || sender.IsCompleted, Patience));
            var buffer = new byte[1500];
            for (var i = 0; i < Count; i++)
            {
                Assert.Equal(1500, server.Receive(buffer));
                Assert.Equal(i, BitConverter.ToInt32(buffer));
            }
            Assert.True(sender.Wait(Patience));
            Assert.False(server.TryReceive(buffer, out _, TimeSpan.FromMilliseconds(100)));
        }
    }

    /// <summary>
    /// Large multipart messages written directly: small frames are copied, large bodies go from their own buffers,
    /// and a body larger than the kernel's free send buffer is finished by the send thread. Every byte arrives.
    /// </summary>
    [Fact]
    public void PacedLargeMessages_IntoAPeerThatStopsReading_ArriveWholeOnceAndInOrder()
    {
        const int Count = 60;
        int[] sizes = [4, 1_000_000, 3000, 9000]; // inline, large, copied, just over the zero-copy threshold
        var (server, client, _) = ConnectedPair(Options(receiveHwm: 2), Options(sendHwm: 2));
        using (server)
        using (client)
        {
            var sender = Task.Factory.StartNew(() =>
            {
                for (var i = 0; i < Count; i++)
                {
                    using var message = new Message();
                    for (var f = 0; f < sizes.Length; f++)
                        FillPattern(message.AddBuffer(sizes[f]).Span, i, f);
                    client.SendAndClear(message);
                    var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10_000; // past the direct-write gap
                    while (Stopwatch.GetTimestamp() < until)
                        Thread.SpinWait(20);
                }
            }, TaskCreationOptions.LongRunning);

            var writable = Probes.Of(client).Outbound?.Writable;
            Assert.True(SpinWait.SpinUntil(() => writable is null || writable.Waiters > 0 || sender.IsCompleted, Patience));
            using var received = new Message();
            for (var i = 0; i < Count; i++)
            {
                Assert.True(server.TryReceive(received, Patience));
                Assert.Equal(sizes.Length, received.Count);
                for (var f = 0; f < sizes.Length; f++)
                {
                    Assert.Equal(sizes[f], received[f].Length);
                    var expected = new byte[sizes[f]];
                    FillPattern(expected, i, f);
                    Assert.True(expected.AsSpan().SequenceEqual(received[f].Span), $"message {i}, frame {f} differs");
                }
            }
            Assert.True(sender.Wait(Patience));
            Assert.False(server.TryReceive(received, TimeSpan.FromMilliseconds(100)));
        }
    }

    /// <summary>
    /// Several threads sending large multipart messages with pauses: they race for the direct write (one writes,
    /// the others queue or wake the send thread), a take can meet another sender's frames, and large bodies are
    /// handed over. Every message arrives whole, each sender's in its order.
    /// </summary>
    [Fact]
    public void ConcurrentPacedLargeSenders_MessagesArriveWhole_EachSendersOrderKept()
    {
        const int Senders = 3;
        const int PerSender = 150;
        var (server, client, _) = ConnectedPair();
        using (server)
        using (client)
        {
            var sending = Enumerable.Range(0, Senders).Select(s => Task.Factory.StartNew(() =>
            {
                for (var i = 0; i < PerSender; i++)
                {
                    using var message = new Message();
                    message.Add(new[] { (byte)s });
                    message.Add(BitConverter.GetBytes(i));
                    FillPattern(message.AddBuffer(60_000 + (i % 7) * 1000).Span, i, s);
                    client.SendAndClear(message);
                    var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20_000;
                    while (Stopwatch.GetTimestamp() < until)
                        Thread.SpinWait(20);
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            var next = new int[Senders];
            using var received = new Message();
            for (var n = 0; n < Senders * PerSender; n++)
            {
                Assert.True(server.TryReceive(received, Patience));
                Assert.Equal(3, received.Count);
                var s = received[0].Span[0];
                var i = BitConverter.ToInt32(received[1].Span);
                Assert.Equal(next[s]++, i); // each sender's order is kept
                var expected = new byte[60_000 + (i % 7) * 1000];
                FillPattern(expected, i, s);
                Assert.True(expected.AsSpan().SequenceEqual(received[2].Span), $"sender {s}, message {i}: body differs");
            }
            Assert.True(Task.WaitAll(sending, Patience));
        }
    }

    /// <summary>Bytes that differ by message, frame and position, so a lost, doubled or shifted piece shows.</summary>
    private static void FillPattern(Span<byte> bytes, int message, int frame)
    {
        for (var j = 0; j < bytes.Length; j++)
            bytes[j] = (byte)(message * 31 + frame * 7 + j / 3);
    }
}
