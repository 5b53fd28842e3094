using Expair.Internal;

namespace Expair.Tests.Unit;

/// <summary>
/// The frame pool above 1 KiB keeps every buffer traffic needs and gives back, per trim, those no rental took since the
/// previous trim, down to a byte budget per size. Most tests use the large frames' layout (quarter steps); the
/// power-of-two layout of the frames up to 64 KiB has its own. Trims are called by hand here (interval infinite):
/// no timing.
/// </summary>
public sealed class BufferPoolTests
{
    private const int Min = 64 * 1024;
    private const int MiB = 1024 * 1024;

    private static BufferPool NewPool(int keepBytes = 4 * MiB) => new(Min, 16 * MiB, stepsPerOctave: 4, keepBytes, Timeout.InfiniteTimeSpan, trimWindow: 1);

    [Theory]
    [InlineData(Min + 1, 80 * 1024)]
    [InlineData(80 * 1024, 80 * 1024)]
    [InlineData(80 * 1024 + 1, 96 * 1024)]
    [InlineData(100_000, 112 * 1024)]
    [InlineData(128 * 1024, 128 * 1024)]
    [InlineData(128 * 1024 + 1, 160 * 1024)]
    [InlineData(530_000, 640 * 1024)]
    [InlineData(MiB, MiB)]
    [InlineData(MiB + 9, MiB + MiB / 4)]
    [InlineData(3 * MiB, 3 * MiB)]
    [InlineData(16 * MiB, 16 * MiB)]
    public void Rent_GivesTheSmallestQuarterStepAtOrAboveTheLength(int length, int expected)
    {
        var pool = NewPool();
        var array = pool.Rent(length);
        Assert.Equal(expected, array.Length);
        pool.Return(array);
        Assert.Same(array, pool.Rent(expected)); // the same bucket serves every length that rounds to it
    }

    [Theory]
    [InlineData(Min + 1, 80 * 1024)]
    [InlineData(80 * 1024 + 64, 80 * 1024)]
    [InlineData(80 * 1024 + 65, 96 * 1024)]
    [InlineData(MiB, MiB)]
    [InlineData(MiB + 64, MiB)]
    [InlineData(MiB + 65, MiB + MiB / 4)]
    [InlineData(16 * MiB + 64, 16 * MiB)]
    public void Slack_LetsABucketServeItsLengthPlusTheSlack(int length, int bucket)
    {
        var pool = new BufferPool(Min, 16 * MiB, stepsPerOctave: 4, keepBytes: 2 * MiB, Timeout.InfiniteTimeSpan, trimWindow: 1, slack: 64);
        var array = pool.Rent(length);
        Assert.Equal(bucket + 64, array.Length);
        pool.Return(array);
        Assert.Same(array, pool.Rent(bucket)); // taken back into its bucket
        Assert.Equal(16 * MiB + 65, pool.Rent(16 * MiB + 65).Length); // above the largest: exact, not pooled
    }

    [Fact]
    public void Slack_DoesNotCountAgainstTheBudget()
    {
        // 2 MiB kept per bucket is still one 2 MiB buffer, though each is 64 bytes longer.
        var pool = new BufferPool(Min, 16 * MiB, stepsPerOctave: 4, keepBytes: 2 * MiB, Timeout.InfiniteTimeSpan, trimWindow: 1, slack: 64);
        var arrays = Enumerable.Range(0, 3).Select(_ => pool.Rent(2 * MiB)).ToList();
        arrays.ForEach(pool.Return);
        pool.Trim();
        pool.Trim(); // the first cannot know they were not needed
        Assert.Equal(1, pool.Held);
    }

    [Theory]
    [InlineData(1025, 2048)]
    [InlineData(2048, 2048)]
    [InlineData(2049, 4096)]
    [InlineData(5000, 8192)]
    [InlineData(33_000, 65536)]
    [InlineData(65536, 65536)]
    public void PowerOfTwoLayout_GivesTheSmallestPowerOfTwoAtOrAboveTheLength(int length, int expected)
    {
        var pool = new BufferPool(1024, 65536, stepsPerOctave: 1, keepBytes: 0, Timeout.InfiniteTimeSpan, trimWindow: 1);
        var array = pool.Rent(length);
        Assert.Equal(expected, array.Length);
        pool.Return(array);
        Assert.Same(array, pool.Rent(expected));
        Assert.Equal(65537, pool.Rent(65537).Length); // above the largest: exact, not pooled
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void EveryLayout_GivesEachLengthTheSmallestOfItsBuckets(int steps)
    {
        var pool = new BufferPool(1024, 1024 * 1024, steps, keepBytes: 0, Timeout.InfiniteTimeSpan, trimWindow: 1);
        var lengths = new SortedSet<int>();
        for (var length = 1025; length <= 1024 * 1024; length += 97)
        {
            var array = pool.Rent(length);
            Assert.InRange(array.Length, length, length + (length - 1) / steps); // at most a step above
            lengths.Add(array.Length);
            pool.Return(array);
        }
        Assert.Equal(10 * steps, lengths.Count); // ten octaves from 1 KiB to 1 MiB, s buckets each, all reached
    }

    [Fact]
    public void Layout_OtherThan1Or2Or4Steps_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BufferPool(1024, 65536, stepsPerOctave: 3, keepBytes: 0, Timeout.InfiniteTimeSpan, trimWindow: 1));
    }

    [Fact]
    public void PowerOfTwoLayout_TrimsUnusedBuffers_DownToItsBudget()
    {
        // A burst of 1000 queued 64 KiB messages, then silence: all but the budget (512 KiB = 8 buffers) go back.
        var pool = new BufferPool(1024, 65536, stepsPerOctave: 1, keepBytes: 512 * 1024, Timeout.InfiniteTimeSpan, trimWindow: 1);
        var burst = Enumerable.Range(0, 1000).Select(_ => pool.Rent(65536)).ToList();
        burst.ForEach(pool.Return);
        Assert.Equal(1000, pool.Held);
        pool.Trim();
        Assert.Equal(992, pool.Trim());
        Assert.Equal(8, pool.Held);
    }

    [Fact]
    public void EveryLength_GetsABufferAtMostAQuarterLonger()
    {
        var pool = NewPool();
        for (var length = Min + 1; length <= 16 * MiB; length += 4093)
        {
            var array = pool.Rent(length);
            Assert.InRange(array.Length, length, length + length / 4);
            pool.Return(array);
        }
    }

    [Fact]
    public void Rent_AboveTheLargestSize_AllocatesExactly_AndItsReturnIsDropped()
    {
        var pool = NewPool();
        var array = pool.Rent(16 * MiB + 1);
        Assert.Equal(16 * MiB + 1, array.Length);
        pool.Return(array);
        pool.Return(new byte[MiB + 1]); // not a bucket's length either
        Assert.Equal(0, pool.Held);
    }

    [Fact]
    public void ReturnedBuffers_AreRentedAgain_LastReturnedFirst()
    {
        var pool = NewPool();
        var first = pool.Rent(MiB);
        var second = pool.Rent(MiB);
        pool.Return(first);
        pool.Return(second);
        Assert.Same(second, pool.Rent(MiB));
        Assert.Same(first, pool.Rent(MiB));
        Assert.NotSame(first, pool.Rent(MiB)); // the bucket is empty now: a new one
    }

    [Fact]
    public void Return_KeepsFarMoreThanTheBudget_WhileNoTrimRan()
    {
        // A sender ahead of its socket by a high-water mark of 1 MiB messages: all of them come back and must all
        // be there for the next burst, not just a handful.
        var pool = NewPool();
        var buffers = Enumerable.Range(0, 300).Select(_ => pool.Rent(MiB)).ToList();
        buffers.ForEach(pool.Return);
        Assert.Equal(300, pool.Held);
        var again = Enumerable.Range(0, 300).Select(_ => pool.Rent(MiB)).ToHashSet();
        Assert.True(again.SetEquals(buffers));
    }

    [Fact]
    public void Trim_GivesBackWhatNoRentalTookSinceThePreviousTrim_DownToTheBudget()
    {
        var pool = NewPool(keepBytes: 4 * MiB); // 4 buffers of 1 MiB
        var buffers = Enumerable.Range(0, 100).Select(_ => pool.Rent(MiB)).ToList();
        buffers.ForEach(pool.Return);

        // Returned after the (implicit) start: the first trim cannot know they were not needed.
        Assert.Equal(0, pool.Trim());
        Assert.Equal(100, pool.Held);

        // Traffic that takes at most 30 at a time during the next interval: 70 sat unused through it.
        for (var round = 0; round < 3; round++)
        {
            var taken = Enumerable.Range(0, 30).Select(_ => pool.Rent(MiB)).ToList();
            taken.ForEach(pool.Return);
        }
        Assert.Equal(70, pool.Trim());
        Assert.Equal(30, pool.Held);

        // No traffic for an interval: all but the budget go.
        Assert.Equal(26, pool.Trim());
        Assert.Equal(4, pool.Held);
        Assert.Equal(0, pool.Trim());
        Assert.Equal(4, pool.Held);
    }

    [Fact]
    public void Trim_KeepsTheBuffersRentalsUse_TheMostRecentlyReturned()
    {
        var pool = NewPool(keepBytes: 0);
        var buffers = Enumerable.Range(0, 10).Select(_ => pool.Rent(MiB)).ToList();
        buffers.ForEach(pool.Return);
        pool.Trim();
        var busy = Enumerable.Range(0, 3).Select(_ => pool.Rent(MiB)).ToList(); // the top three: the last returned
        busy.ForEach(pool.Return);
        Assert.Equal(7, pool.Trim());
        Assert.True(Enumerable.Range(0, 3).Select(_ => pool.Rent(MiB)).ToHashSet().SetEquals(busy));
    }

    [Fact]
    public void TrimWindow_KeepsBuffersABurstUsedWithinIt_AndGivesBackThoseUnusedThroughAllOfIt()
    {
        var pool = new BufferPool(Min, 16 * MiB, stepsPerOctave: 4, keepBytes: 0, Timeout.InfiniteTimeSpan, trimWindow: 3);
        var buffers = Enumerable.Range(0, 50).Select(_ => pool.Rent(MiB)).ToList();
        buffers.ForEach(pool.Return);
        void Use(int count) => Enumerable.Range(0, count).Select(_ => pool.Rent(MiB)).ToList().ForEach(pool.Return);

        // Intervals: a burst of 50 in the first, then 10 at a time. The burst's buffers stay through the window.
        Use(50);
        Assert.Equal(0, pool.Trim());
        Use(10);
        Assert.Equal(0, pool.Trim());
        Use(10);
        Assert.Equal(0, pool.Trim()); // the window still holds the interval in which all 50 were used
        Use(10);
        Assert.Equal(40, pool.Trim()); // now 40 went unused through three intervals
        Assert.Equal(10, pool.Held);
        Use(10);
        Assert.Equal(0, pool.Trim());
        Assert.Equal(0, pool.Trim());
        Assert.Equal(0, pool.Trim()); // the window still holds the interval in which the 10 were used
        Assert.Equal(10, pool.Trim());
        Assert.Equal(0, pool.Held);
    }

    [Fact]
    public void Budget_CountsWholeBuffers_PerSize()
    {
        var pool = NewPool(keepBytes: 3 * MiB);
        var small = Enumerable.Range(0, 40).Select(_ => pool.Rent(128 * 1024)).ToList(); // keeps 24
        var large = Enumerable.Range(0, 5).Select(_ => pool.Rent(4 * MiB)).ToList(); // keeps none
        small.ForEach(pool.Return);
        large.ForEach(pool.Return);
        pool.Trim();
        pool.Trim();
        Assert.Equal(24, pool.Held);
        Assert.Equal(128 * 1024, pool.Rent(128 * 1024).Length);
    }

    [Fact]
    public void TrimTimer_RunsWhileABucketHoldsMoreThanItsBudget_AndStopsWhenNoneDoes()
    {
        var pool = new BufferPool(Min, 16 * MiB, stepsPerOctave: 4, keepBytes: 2 * MiB, trimInterval: TimeSpan.FromHours(1), trimWindow: 1);
        var buffers = Enumerable.Range(0, 3).Select(_ => pool.Rent(MiB)).ToList();
        pool.Return(buffers[0]);
        pool.Return(buffers[1]);
        Assert.False(pool.TrimScheduled); // two: within the budget
        pool.Return(buffers[2]);
        Assert.True(pool.TrimScheduled);
        pool.Trim();
        Assert.True(pool.TrimScheduled); // still three until an interval shows one unused
        pool.Trim();
        Assert.Equal(2, pool.Held);
        Assert.False(pool.TrimScheduled);
    }

    [Fact]
    public void TrimTimer_GivesUnusedBuffersBack_WithoutAnyCall()
    {
        // The timer, not the test, trims: every 20 ms, buffers unused through two intervals go.
        var pool = new BufferPool(Min, 16 * MiB, stepsPerOctave: 4, keepBytes: 2 * MiB, trimInterval: TimeSpan.FromMilliseconds(20), trimWindow: 2);
        var buffers = Enumerable.Range(0, 10).Select(_ => pool.Rent(MiB)).ToList();
        buffers.ForEach(pool.Return); // starts the timer (TrimTimer_RunsWhile... checks that without a timer running)

        Assert.True(SpinWait.SpinUntil(() => !pool.TrimScheduled, TimeSpan.FromSeconds(30)), $"still {pool.Held} held");
        Assert.Equal(2, pool.Held);
        Assert.Equal(MiB, pool.Rent(MiB).Length);
    }

    [Fact]
    public void ConcurrentRentersAndReturners_LoseNoBuffer_AndNeverShareOne()
    {
        var pool = NewPool();
        const int Threads = 4;
        const int Rounds = 20_000;
        var owners = new System.Collections.Concurrent.ConcurrentDictionary<byte[], int>(ReferenceEqualityComparer.Instance);
        var shared = 0;
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var mine = new List<byte[]>();
            for (var i = 0; i < Rounds; i++)
            {
                if (mine.Count < 8 && (i % 3 != 0 || mine.Count == 0))
                {
                    var array = pool.Rent(256 * 1024);
                    if (!owners.TryAdd(array, t))
                        Interlocked.Increment(ref shared);
                    mine.Add(array);
                }
                else
                {
                    var array = mine[^1];
                    mine.RemoveAt(mine.Count - 1);
                    owners.TryRemove(array, out _);
                    pool.Return(array);
                }
                if (t == 0 && i % 1000 == 0)
                    pool.Trim();
            }
            foreach (var array in mine)
            {
                owners.TryRemove(array, out _);
                pool.Return(array);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        Assert.All(workers, w => Assert.True(w.Join(TimeSpan.FromSeconds(60))));
        Assert.Equal(0, shared);
        Assert.Empty(owners);
        Assert.InRange(pool.Held, 1, Threads * 8);
    }
}
