using System.Diagnostics;
using Expair.Core;

namespace Expair.Tests.Unit;

public class SignalTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public void Set_AdvancesVersion()
    {
        var signal = new Signal();
        var before = signal.Version;
        signal.Set();
        Assert.Equal(before + 1, signal.Version);
    }

    [Fact]
    public void Wait_NoSetBeforeDeadline_ReturnsFalseAfterDeadline()
    {
        var signal = new Signal();
        var clock = Stopwatch.StartNew();
        Assert.False(signal.Wait(signal.Version, Deadline.After(TimeSpan.FromMilliseconds(50))));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(40), $"returned after {clock.Elapsed}");
    }

    [Fact]
    public void Wait_ZeroDeadline_ReturnsFalseAtOnce() =>
        Assert.False(new Signal().Wait(0, Deadline.After(TimeSpan.Zero)));

    [Fact]
    public void Wait_VersionAlreadyMoved_ReturnsTrueAtOnce()
    {
        var signal = new Signal();
        var seen = signal.Version;
        signal.Set();
        Assert.True(signal.Wait(seen, Deadline.After(TimeSpan.Zero)));
    }

    [Fact]
    public void Wait_SetFromAnotherThread_ReturnsTrue()
    {
        // Repeated so that most rounds hit the blocked path; every order must give true, never a timeout.
        for (var round = 0; round < 20; round++)
        {
            var signal = new Signal();
            var seen = signal.Version;
            using var waiting = new ManualResetEventSlim();
            var waiter = Task.Run(() =>
            {
                waiting.Set();
                return signal.Wait(seen, Deadline.After(Generous));
            });
            Assert.True(waiting.Wait(Generous));
            signal.Set();
            Assert.True(waiter.Wait(Generous));
            Assert.True(waiter.Result);
        }
    }

    [Fact]
    public void Wait_CancelledWhileBlocked_ThrowsOperationCanceled()
    {
        var signal = new Signal();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        Assert.Throws<OperationCanceledException>(() => signal.Wait(signal.Version, Deadline.Never, cts.Token));
    }

    [Fact]
    public async Task WaitAsync_CompletesOnSet()
    {
        var signal = new Signal();
        var waiting = signal.WaitAsync(signal.Version, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        signal.Set();

        await waiting.WaitAsync(Generous);
        Assert.True(waiting.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_TwoWaiters_BothCompleteOnOneSet()
    {
        var signal = new Signal();
        var seen = signal.Version;
        var first = signal.WaitAsync(seen, CancellationToken.None).AsTask();
        var second = signal.WaitAsync(seen, CancellationToken.None).AsTask();
        signal.Set();
        await Task.WhenAll(first, second).WaitAsync(Generous);
    }

    [Fact]
    public void WaitAsync_VersionAlreadyMoved_CompletesSynchronously()
    {
        var signal = new Signal();
        var seen = signal.Version;
        signal.Set();
        var waiting = signal.WaitAsync(seen, CancellationToken.None).AsTask();
        Assert.True(waiting.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_ThrowsAndLaterWaitsStillWork()
    {
        var signal = new Signal();
        using var cts = new CancellationTokenSource();
        var waiting = signal.WaitAsync(signal.Version, cts.Token).AsTask();
        Assert.False(waiting.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Generous));
        var next = signal.WaitAsync(signal.Version, CancellationToken.None).AsTask();
        signal.Set();
        await next.WaitAsync(Generous);
    }

    [Fact]
    public async Task WaitAsync_AlreadyCancelledToken_Throws()
    {
        var signal = new Signal();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => signal.WaitAsync(signal.Version, cts.Token).AsTask());
    }

    [Fact]
    public void Deadline_Never_HasInfiniteRemaining()
    {
        Assert.True(Deadline.Never.IsNever);
        Assert.Equal(Timeout.InfiniteTimeSpan, Deadline.Never.Remaining);
        Assert.True(Deadline.After(Timeout.InfiniteTimeSpan).IsNever);
    }

    [Fact]
    public void Deadline_After_CountsDownToZero()
    {
        Assert.Equal(TimeSpan.Zero, Deadline.After(TimeSpan.Zero).Remaining);
        Assert.Equal(TimeSpan.Zero, Deadline.After(TimeSpan.FromSeconds(-5)).Remaining);
        Assert.InRange(Deadline.After(TimeSpan.FromHours(1)).Remaining, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
    }
}
