using Expair.Interop.Tests.Native;
using Xunit.Abstractions;

namespace Expair.Interop.Tests;

/// <summary>Linger covers the kernel's buffer: "send, close, exit" into a libzmq receiver loses nothing.</summary>
public sealed partial class ExpairLibZmqInteropTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper _output = output;

    /// <summary>
    /// Issue 20, defect 7: a libzmq receiver paused at its high-water mark drops what is still unread in the
    /// kernel when the sender hangs up, so a sender that closed as soon as its queue was written lost the last
    /// thousands of messages over ipc. Linger now also waits for the kernel's send queue to empty. That query
    /// (SIOCOUTQ) belongs to the Linux I/O path, so the portable run leaves this test out.
    /// </summary>
    [Theory]
    [Trait("IoPath", "Linux")]
    [InlineData(Binder.LibZmq)]
    [InlineData(Binder.Expair)]
    public void SendCloseExit_OverIpc_LibZmqReceivesEveryMessage(Binder binder)
    {
        const int Count = 300_000;
        const int Size = 64;
        const int SlowReceiverSpin = 200;
        var options = TestOptions with { Linger = TimeSpan.FromSeconds(30) };
        var link = Connect("ipc", binder, options: options);
        var received = 0;
        var inOrder = true;
        var lastIndex = -1;
        RunConcurrently(
            () =>
            {
                // The sender: everything, then close at once (the CLI's `expair send --count`).
                var payload = new byte[Size];
                for (var i = 0; i < Count; i++)
                {
                    BitConverter.TryWriteBytes(payload, i);
                    link.Expair.Send(payload);
                }

                link.Expair.Dispose();
            },
            () =>
            {
                // The receiver reads until the stream stops for a while (it cannot know the sender closed), and
                // handles each message more slowly than the sender writes them (pyzmq's pace), so libzmq spends
                // most of the run paused at its high-water mark with the kernel's buffer full behind it.
                while (received < Count && link.LibZmq.TryReceive(out var frames, timeoutMs: 3_000))
                {
                    var index = BitConverter.ToInt32(frames[0]);
                    inOrder &= frames.Count == 1 && frames[0].Length == Size && index == lastIndex + 1;
                    lastIndex = index;
                    received++;
                    Thread.SpinWait(SlowReceiverSpin);
                }
            });
        _output.WriteLine($"{binder} binds: libzmq received {received:N0} of {Count:N0}");
        Assert.True(inOrder, "messages arrived out of order or changed");
        Assert.Equal(Count, received);
    }
}
