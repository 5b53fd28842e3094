namespace Expair.Engine;

/// <summary>
/// Why a connection ends: the first reason claimed wins, whichever thread claims it (loops, callers, the heartbeat
/// timer, a stop from outside). Written only by compare-and-swap, so a later reason never overwrites it.
/// </summary>
internal sealed class EndReason
{
    private string? _reason;

    /// <summary>The recorded reason; null while the connection has not begun to end.</summary>
    public string? Value => Volatile.Read(ref _reason);

    /// <summary>Records <paramref name="reason"/> unless a reason already was: true when this one is it.</summary>
    public bool TryClaim(string reason) => Interlocked.CompareExchange(ref _reason, reason, null) is null;

    /// <summary>Records <paramref name="reason"/> unless a reason already was, and returns the one recorded.</summary>
    public string Claim(string reason) => Interlocked.CompareExchange(ref _reason, reason, null) ?? reason;
}
