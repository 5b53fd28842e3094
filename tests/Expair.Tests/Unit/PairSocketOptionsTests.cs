namespace Expair.Tests.Unit;

public class PairSocketOptionsTests
{
    [Fact]
    public void Default_HasDocumentedValues()
    {
        var options = PairSocketOptions.Default;
        Assert.Equal(1000, options.SendHighWaterMark);
        Assert.Equal(1000, options.ReceiveHighWaterMark);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.SendTimeout);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.ReceiveTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Linger);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.ReconnectInterval);
        Assert.Equal(TimeSpan.Zero, options.ReconnectIntervalMax);
        Assert.Equal(TimeSpan.FromSeconds(30), options.HandshakeTimeout);
        Assert.Equal(-1, options.MaxMessageSize);
        Assert.Equal(4, options.MaxWaitingPeers);
        Assert.Equal(100, options.MaxPendingHandshakes);
        Assert.Equal(TimeSpan.Zero, options.HeartbeatInterval);
        Assert.Equal(TimeSpan.Zero, options.HeartbeatTimeout);
        Assert.Equal(TimeSpan.Zero, options.HeartbeatTtl);
        Assert.Null(options.LoggerFactory);
    }

    [Fact]
    public void New_EqualsDefault() => Assert.Equal(PairSocketOptions.Default, new PairSocketOptions());

    private static readonly TimeSpan MinusOneTick = TimeSpan.FromTicks(-1);

    // Each case sets one property to its first out-of-range value, through an initializer or through `with`.
    private static PairSocketOptions Build(string property, bool useWith) => (property, useWith) switch
    {
        (nameof(PairSocketOptions.SendHighWaterMark), false) => new PairSocketOptions { SendHighWaterMark = -1 },
        (nameof(PairSocketOptions.SendHighWaterMark), true) => PairSocketOptions.Default with { SendHighWaterMark = -1 },
        (nameof(PairSocketOptions.ReceiveHighWaterMark), false) => new PairSocketOptions { ReceiveHighWaterMark = -1 },
        (nameof(PairSocketOptions.ReceiveHighWaterMark), true) => PairSocketOptions.Default with { ReceiveHighWaterMark = -1 },
        (nameof(PairSocketOptions.SendTimeout), false) => new PairSocketOptions { SendTimeout = MinusOneTick },
        (nameof(PairSocketOptions.SendTimeout), true) => PairSocketOptions.Default with { SendTimeout = TimeSpan.FromMilliseconds(-2) },
        (nameof(PairSocketOptions.ReceiveTimeout), false) => new PairSocketOptions { ReceiveTimeout = MinusOneTick },
        (nameof(PairSocketOptions.ReceiveTimeout), true) => PairSocketOptions.Default with { ReceiveTimeout = TimeSpan.FromMilliseconds(-2) },
        (nameof(PairSocketOptions.Linger), false) => new PairSocketOptions { Linger = MinusOneTick },
        (nameof(PairSocketOptions.Linger), true) => PairSocketOptions.Default with { Linger = TimeSpan.FromSeconds(-5) },
        (nameof(PairSocketOptions.ReconnectInterval), false) => new PairSocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(1) - TimeSpan.FromTicks(1) },
        (nameof(PairSocketOptions.ReconnectInterval), true) => PairSocketOptions.Default with { ReconnectInterval = TimeSpan.FromMilliseconds(-2) },
        (nameof(PairSocketOptions.ReconnectIntervalMax), false) => new PairSocketOptions { ReconnectIntervalMax = MinusOneTick },
        (nameof(PairSocketOptions.ReconnectIntervalMax), true) => PairSocketOptions.Default with { ReconnectIntervalMax = TimeSpan.FromTicks(1) },
        (nameof(PairSocketOptions.HandshakeTimeout), false) => new PairSocketOptions { HandshakeTimeout = TimeSpan.Zero },
        (nameof(PairSocketOptions.HandshakeTimeout), true) => PairSocketOptions.Default with { HandshakeTimeout = TimeSpan.Zero },
        (nameof(PairSocketOptions.MaxMessageSize), false) => new PairSocketOptions { MaxMessageSize = -2 },
        (nameof(PairSocketOptions.MaxMessageSize), true) => PairSocketOptions.Default with { MaxMessageSize = long.MinValue },
        (nameof(PairSocketOptions.MaxWaitingPeers), false) => new PairSocketOptions { MaxWaitingPeers = -1 },
        (nameof(PairSocketOptions.MaxWaitingPeers), true) => PairSocketOptions.Default with { MaxWaitingPeers = int.MinValue },
        (nameof(PairSocketOptions.MaxPendingHandshakes), false) => new PairSocketOptions { MaxPendingHandshakes = 0 },
        (nameof(PairSocketOptions.MaxPendingHandshakes), true) => PairSocketOptions.Default with { MaxPendingHandshakes = -1 },
        (nameof(PairSocketOptions.HeartbeatInterval), false) => new PairSocketOptions { HeartbeatInterval = MinusOneTick },
        (nameof(PairSocketOptions.HeartbeatInterval), true) => PairSocketOptions.Default with { HeartbeatInterval = TimeSpan.FromMilliseconds(int.MaxValue + 1L) },
        (nameof(PairSocketOptions.HeartbeatTimeout), false) => new PairSocketOptions { HeartbeatTimeout = Timeout.InfiniteTimeSpan },
        (nameof(PairSocketOptions.HeartbeatTimeout), true) => PairSocketOptions.Default with { HeartbeatTimeout = TimeSpan.FromMilliseconds(int.MaxValue + 1L) },
        (nameof(PairSocketOptions.HeartbeatTtl), false) => new PairSocketOptions { HeartbeatTtl = TimeSpan.FromMilliseconds(99) },
        (nameof(PairSocketOptions.HeartbeatTtl), true) => PairSocketOptions.Default with { HeartbeatTtl = TimeSpan.FromMilliseconds(6_553_501) },
        _ => throw new ArgumentException(property, nameof(property)),
    };

    /// <summary>Every validated option; <see cref="Build"/> makes an out-of-range value for each.</summary>
    public static TheoryData<string> ValidatedOptions { get; } = new(
        nameof(PairSocketOptions.SendHighWaterMark),
        nameof(PairSocketOptions.ReceiveHighWaterMark),
        nameof(PairSocketOptions.SendTimeout),
        nameof(PairSocketOptions.ReceiveTimeout),
        nameof(PairSocketOptions.Linger),
        nameof(PairSocketOptions.ReconnectInterval),
        nameof(PairSocketOptions.ReconnectIntervalMax),
        nameof(PairSocketOptions.HandshakeTimeout),
        nameof(PairSocketOptions.MaxMessageSize),
        nameof(PairSocketOptions.MaxWaitingPeers),
        nameof(PairSocketOptions.MaxPendingHandshakes),
        nameof(PairSocketOptions.HeartbeatInterval),
        nameof(PairSocketOptions.HeartbeatTimeout),
        nameof(PairSocketOptions.HeartbeatTtl));

    [Theory]
    [MemberData(nameof(ValidatedOptions))]
    public void Init_OutOfRange_ThrowsNamingProperty(string property)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Build(property, useWith: false));
        Assert.Equal(property, error.ParamName);
        Assert.Contains(property, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ValidatedOptions))]
    public void With_OutOfRange_ThrowsNamingProperty(string property)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Build(property, useWith: true));
        Assert.Equal(property, error.ParamName);
    }

    [Fact]
    public void OutOfRange_ReportsActualValue()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PairSocketOptions { SendHighWaterMark = -7 });
        Assert.Equal(-7, error.ActualValue);
    }

    [Fact]
    public void Timeouts_AcceptInfiniteAndZero()
    {
        var infinite = new PairSocketOptions
        {
            SendTimeout = Timeout.InfiniteTimeSpan,
            ReceiveTimeout = Timeout.InfiniteTimeSpan,
            Linger = Timeout.InfiniteTimeSpan,
            ReconnectInterval = Timeout.InfiniteTimeSpan,
        };
        Assert.Equal(Timeout.InfiniteTimeSpan, infinite.Linger);
        Assert.Equal(Timeout.InfiniteTimeSpan, infinite.ReconnectInterval);

        var zero = infinite with { SendTimeout = TimeSpan.Zero, ReceiveTimeout = TimeSpan.Zero, Linger = TimeSpan.Zero };
        Assert.Equal(TimeSpan.Zero, zero.SendTimeout);
        Assert.Equal(TimeSpan.Zero, zero.ReceiveTimeout);
        Assert.Equal(TimeSpan.Zero, zero.Linger);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(9_999L)] // 1 ms less a tick
    public void ReconnectInterval_UnderOneMillisecond_IsRefusedNamingTheMinimum(long ticks)
    {
        // A zero wait retried a refused connection in a busy loop (issue 20, defect 4).
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PairSocketOptions { ReconnectInterval = TimeSpan.FromTicks(ticks) });
        Assert.Equal(nameof(PairSocketOptions.ReconnectInterval), error.ParamName);
        Assert.Contains("at least 1 ms", error.Message, StringComparison.Ordinal);
        if (ticks > 0)
        {
            error = Assert.Throws<ArgumentOutOfRangeException>(() => new PairSocketOptions { ReconnectIntervalMax = TimeSpan.FromTicks(ticks) });
            Assert.Contains("at least 1 ms", error.Message, StringComparison.Ordinal);
        }
        var minimum = new PairSocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(1), ReconnectIntervalMax = TimeSpan.FromMilliseconds(1) };
        Assert.Equal(TimeSpan.FromMilliseconds(1), minimum.ReconnectInterval);
        Assert.Equal(TimeSpan.Zero, new PairSocketOptions { ReconnectIntervalMax = TimeSpan.Zero }.ReconnectIntervalMax);
    }

    [Fact]
    public void Limits_AcceptBoundaryValues()
    {
        var options = new PairSocketOptions
        {
            SendHighWaterMark = 0,
            ReceiveHighWaterMark = 0,
            MaxMessageSize = 0,
            MaxWaitingPeers = 0,
            HandshakeTimeout = TimeSpan.FromTicks(1),
        };
        Assert.Equal(0, options.SendHighWaterMark);
        Assert.Equal(0, options.MaxMessageSize);
        Assert.Equal(-1, (options with { MaxMessageSize = -1 }).MaxMessageSize);
    }

    [Fact]
    public void With_LeavesDefaultUnchanged()
    {
        var changed = PairSocketOptions.Default with { SendHighWaterMark = 5 };
        Assert.Equal(5, changed.SendHighWaterMark);
        Assert.Equal(1000, PairSocketOptions.Default.SendHighWaterMark);
        Assert.NotEqual(PairSocketOptions.Default, changed);
    }

    [Fact]
    public void HandshakeTimeout_AcceptsInfinite_RejectsOtherNegativesAndOverflow()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, new PairSocketOptions { HandshakeTimeout = Timeout.InfiniteTimeSpan }.HandshakeTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairSocketOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(-2) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PairSocketOptions { HandshakeTimeout = TimeSpan.MaxValue });
    }

    [Fact]
    public void Heartbeats_AcceptBoundaryValues()
    {
        var options = new PairSocketOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(int.MaxValue),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(1),
            HeartbeatTtl = TimeSpan.FromMilliseconds(100),
            MaxPendingHandshakes = 1,
        };
        Assert.Equal(TimeSpan.FromMilliseconds(int.MaxValue), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.HeartbeatTtl);
        Assert.Equal(TimeSpan.FromMilliseconds(6_553_500), (options with { HeartbeatTtl = TimeSpan.FromMilliseconds(6_553_500) }).HeartbeatTtl);
        Assert.Equal(TimeSpan.Zero, (options with { HeartbeatTtl = TimeSpan.Zero }).HeartbeatTtl);
    }

    [Fact]
    public void HeartbeatTtl_OutOfRange_SaysItTravelsInTenthsOfASecond()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PairSocketOptions { HeartbeatTtl = TimeSpan.FromMilliseconds(50) });
        Assert.Contains("tenths of a second", error.Message, StringComparison.Ordinal);
        Assert.Contains("6553.5 s", error.Message, StringComparison.Ordinal);
    }
}
