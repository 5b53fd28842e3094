using System.Diagnostics;

namespace Expair.Engine;

/// <summary>
/// A connection's knobs that tests steer through <see cref="IConnectionProbe"/>; production keeps the defaults.
/// Read by the parts on their own threads, so every field is volatile.
/// </summary>
internal sealed class ProbeSettings
{
    private volatile bool _keepLent;
    private long _replyWaitTicks = ToTicks(ReplyWait.DefaultTime);

    /// <summary>The receive thread takes a lent read side back only when told to, never for going unused.</summary>
    public bool KeepLent
    {
        get => _keepLent;
        set => _keepLent = value;
    }

    /// <summary>How long the receive thread waits for a reply, in Stopwatch ticks.</summary>
    public long ReplyWaitTicks => Volatile.Read(ref _replyWaitTicks);

    public void SetReplyWait(TimeSpan wait) => Volatile.Write(ref _replyWaitTicks, ToTicks(wait));

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
