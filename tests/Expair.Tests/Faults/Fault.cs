namespace Expair.Tests.Faults;

/// <summary>What the <see cref="FaultProxy"/> does to one direction of one connection.</summary>
internal enum FaultKind
{
    /// <summary>Forward every byte.</summary>
    PassThrough,

    /// <summary>Forward every byte, each chunk from the offset on held back by <see cref="Fault.Delay"/>.</summary>
    Delay,

    /// <summary>Forward up to the offset, then close both sides gracefully (FIN).</summary>
    Cut,

    /// <summary>Forward up to the offset, then drop every byte while keeping both TCP connections open.</summary>
    BlackHole,

    /// <summary>Forward up to the offset, then abort both sides with RST (linger zero).</summary>
    Reset,
}

/// <summary>A fault at a byte offset of one direction (bytes counted from the connection's start).</summary>
internal readonly record struct Fault(FaultKind Kind, long Offset = 0, TimeSpan Delay = default)
{
    public static Fault None => new(FaultKind.PassThrough);

    public static Fault CutAt(long offset) => new(FaultKind.Cut, offset);

    public static Fault ResetAt(long offset) => new(FaultKind.Reset, offset);

    public static Fault BlackHoleAt(long offset) => new(FaultKind.BlackHole, offset);

    public static Fault DelayEach(TimeSpan delay, long fromOffset = 0) => new(FaultKind.Delay, fromOffset, delay);
}

/// <summary>The faults for both directions of one proxied connection.</summary>
internal readonly record struct FaultPlan(Fault ClientToServer, Fault ServerToClient)
{
    public static FaultPlan None => new(Fault.None, Fault.None);

    public static FaultPlan Upstream(Fault fault) => new(fault, Fault.None);

    public static FaultPlan Downstream(Fault fault) => new(Fault.None, fault);
}

internal enum Direction { ClientToServer, ServerToClient }
