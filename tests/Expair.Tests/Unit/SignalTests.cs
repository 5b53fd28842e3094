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
    public async Task OneSet_WakesEveryBlockedAndAsyncWaiter()
    {
        var signal = new Signal();
        var seen = signal.Version;
        var blocked = Enumerable.Range(0, 6).Select(_ => Task.Factory.StartNew(
            () => signal.Wait(seen, Deadline.After(Generous)), TaskCreationOptions.LongRunning)).ToArray();
        var asynchronous = Enumerable.Range(0, 3).Select(_ => signal.WaitAsync(seen, CancellationToken.None).AsTask()).ToArray();
        // Every waiter past its spin (asleep, or about to be) before the one Set.
        Assert.True(SpinWait.SpinUntil(() => signal.Waiters == 9, Generous));
        signal.Set();
        Assert.All(await Task.WhenAll(blocked).WaitAsync(Generous), Assert.True);
        await Task.WhenAll(asynchronous).WaitAsync(Generous);
        Assert.Equal(0, signal.Waiters);
    }

    [Fact]
    public void PingPong_ManyRounds_NoWakeUpIsLost()
    {
        // Two threads hand a turn back and forth through two signals: a lost wake-up would stall a round
        // until the generous deadline and fail it.
        var ping = new Signal();
        var pong = new Signal();
        const int Rounds = 20_000;
        var other = Task.Factory.StartNew(() =>
        {
            var seen = 0L;
            for (var i = 0; i < Rounds; i++)
            {
                while (ping.Version == seen)
                {
                    if (!ping.Wait(seen, Deadline.After(Generous)))
                        return i; // stalled
                }
                seen = ping.Version;
                pong.Set();
            }
            return Rounds;
        }, TaskCreationOptions.LongRunning);
        for (var i = 0; i < Rounds; i++)
        {
            var seen = pong.Version;
            ping.Set();
            while (pong.Version == seen)
                Assert.True(pong.Wait(seen, Deadline.After(Generous)), $"round {i} stalled");
        }
        Assert.True(other.Wait(Generous));
        Assert.Equal(Rounds, other.Result);
        Assert.Equal(Rounds, pong.Version);
    }

    [Fact]
    public void LongSleeps_HalveTheSpin_ShortSleepsRestoreAndDoubleIt_UpToTheMost()
    {
        var signal = new Signal();
        var probe = Probes.Of(signal);
        Assert.Equal(Signal.SpinCount, probe.SpinRounds);
        signal.AdaptSpin(Signal.LongSleepTicks);
        Assert.Equal(Signal.SpinCount / 2, probe.SpinRounds);
        for (var i = 0; i < 10; i++)
            signal.AdaptSpin(Signal.LongSleepTicks * 5);
        Assert.Equal(0, probe.SpinRounds);
        signal.AdaptSpin(Signal.LongSleepTicks - 1);
        Assert.Equal(Signal.SpinCount, probe.SpinRounds);
        signal.AdaptSpin(0);
        Assert.Equal(2 * Signal.SpinCount, probe.SpinRounds);
        for (var i = 0; i < 10; i++)
            signal.AdaptSpin(Signal.LongSleepTicks / 2);
        Assert.Equal(Signal.MaxSpinCount, probe.SpinRounds);
        signal.AdaptSpin(Signal.LongSleepTicks);
        Assert.Equal(Signal.MaxSpinCount / 2, probe.SpinRounds);
    }

    [Fact]
    public void Wait_ThatSleptLong_SpinsLessNextTime()
    {
        var signal = new Signal();
        var seen = signal.Version;
        var waiter = new Thread(() => Assert.True(signal.Wait(seen, Deadline.After(Generous))));
        waiter.Start();
        Assert.True(SpinWait.SpinUntil(() => signal.Waiters > 0, Generous));
        // Set only well after the waiter went to sleep: its wait was long, whatever the scheduler does.
        var until = Stopwatch.GetTimestamp() + Signal.LongSleepTicks * 10;
        while (Stopwatch.GetTimestamp() < until)
            Thread.SpinWait(20);
        signal.Set();
        Assert.True(waiter.Join(Generous));
        Assert.Equal(Signal.SpinCount / 2, Probes.Of(signal).SpinRounds);
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
