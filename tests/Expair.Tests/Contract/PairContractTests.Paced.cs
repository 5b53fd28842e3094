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
            var writable = client.Core.Outbound?.Writable;
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
}
