using System.Diagnostics;
using Expair.Internal;
using Expair.Protocol;

namespace Expair.Engine;

/// <summary>
/// Heartbeats (37/ZMTP "Connection Heartbeating"), with libzmq's meanings of interval, timeout and TTL.
/// One timer per connection, re-armed for the next thing due; the receive path only stamps the time of its
/// last read, so messages cost nothing extra.
/// </summary>
internal sealed partial class ZmtpEngine
{
    private readonly Lock _heartbeatLock = new();
    private Timer? _heartbeatTimer;
    private bool _heartbeatsEnded;
    private bool _pinging;
    private long _lastReceived; // Stopwatch timestamp of the last read that returned bytes
    private long _nextPing;
    private long _pingAwaitingTraffic = -1; // when the PING that waits for any traffic was sent; -1 none
    private long _peerTtlSince = -1; // _lastReceived when a PING with a TTL arrived; -1 none
    private long _peerTtlTicks;
    private int _pingDue; // 1 when the send loop should write a PING

    private long IntervalTicks => ToTicks(_options.HeartbeatInterval);

    /// <summary>libzmq: a zero timeout means "the same as the interval".</summary>
    private long TimeoutTicks => ToTicks(_options.HeartbeatTimeout == TimeSpan.Zero ? _options.HeartbeatInterval : _options.HeartbeatTimeout);

    /// <summary>37/ZMTP: the PING's TTL is in tenths of a second.</summary>
    private ushort TtlDeciseconds => (ushort)(_options.HeartbeatTtl.Ticks / (TimeSpan.TicksPerMillisecond * 100));

    /// <summary>Any bytes from the peer are a sign of life (37/ZMTP), not only a PONG.</summary>
    private void MarkReceived() => Volatile.Write(ref _lastReceived, Stopwatch.GetTimestamp());

    /// <summary>
    /// Bytes the kernel holds that we have not read yet: our receive high-water mark paused reading, or a busy
    /// machine has not run the receive loop yet. They are the peer's sign of life, and the silence is ours.
    /// Unlike libzmq, a full receive queue never drops a live peer. One ioctl, only when a drop is due.
    /// </summary>
    private bool UnreadBytesWaiting()
    {
        try
        {
            return _socket.Available > 0;
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            return false; // the connection is ending anyway
        }
    }

    /// <summary>Starts pinging when the interval is set and the peer speaks ZMTP 3.1 or later.</summary>
    private void StartHeartbeats()
    {
        MarkReceived();
        if (_options.HeartbeatInterval == TimeSpan.Zero)
            return;
        if (!_peerSupportsHeartbeats)
        {
            _diagnostics.HeartbeatsUnsupported(Description); // a 3.0 peer would take a PING for a protocol error
            return;
        }
        _diagnostics.HeartbeatsStarted(Description, (long)_options.HeartbeatInterval.TotalMilliseconds, TimeoutTicks * 1000 / Stopwatch.Frequency, TtlDeciseconds);
        lock (_heartbeatLock)
        {
            _pinging = true;
            _nextPing = Stopwatch.GetTimestamp() + IntervalTicks;
            Reschedule(Stopwatch.GetTimestamp());
        }
    }

    /// <summary>The peer's PING carried a TTL: drop the connection if nothing more arrives within it.</summary>
    private void OnPeerTtl(ushort ttlDeciseconds)
    {
        if (ttlDeciseconds == 0)
            return;
        lock (_heartbeatLock)
        {
            if (_heartbeatsEnded)
                return;
            _peerTtlTicks = ToTicks(TimeSpan.FromMilliseconds(ttlDeciseconds * 100));
            _peerTtlSince = Volatile.Read(ref _lastReceived);
            Reschedule(Stopwatch.GetTimestamp());
        }
    }

    /// <summary>
    /// A message frame was decoded: if it came after a PING with a TTL, the peer is not silent. Timestamps alone
    /// miss this when the frame arrived in the same read as the PING (libzmq cancels the TTL on any message too).
    /// </summary>
    private void OnPeerMessageFrame()
    {
        if (Volatile.Read(ref _peerTtlSince) < 0)
            return; // the common case: one volatile read per frame, no lock
        lock (_heartbeatLock)
            _peerTtlSince = -1;
    }

    private void StopHeartbeats()
    {
        lock (_heartbeatLock)
        {
            _heartbeatsEnded = true;
            _heartbeatTimer?.Dispose();
            _heartbeatTimer = null;
        }
    }

    private void OnHeartbeatTimer(object? state)
    {
        var now = Stopwatch.GetTimestamp();
        string? failure = null;
        long silentMs = 0;
        var ttlExpired = false;
        lock (_heartbeatLock)
        {
            if (_heartbeatsEnded)
                return;
            var last = Volatile.Read(ref _lastReceived);
            if (_pingAwaitingTraffic >= 0 && last >= _pingAwaitingTraffic)
                _pingAwaitingTraffic = -1;
            if (_peerTtlSince >= 0 && last > _peerTtlSince)
                _peerTtlSince = -1;
            var dropDue = (_pingAwaitingTraffic >= 0 && now - _pingAwaitingTraffic >= TimeoutTicks)
                || (_peerTtlSince >= 0 && now - _peerTtlSince >= _peerTtlTicks);
            if (dropDue && UnreadBytesWaiting())
            {
                Volatile.Write(ref _lastReceived, now);
                _pingAwaitingTraffic = _peerTtlSince = -1;
            }

            if (_pingAwaitingTraffic >= 0 && now - _pingAwaitingTraffic >= TimeoutTicks)
            {
                silentMs = Milliseconds(now - last);
                failure = $"heartbeat timeout: nothing received for {silentMs} ms after a PING";
            }
            else if (_peerTtlSince >= 0 && now - _peerTtlSince >= _peerTtlTicks)
            {
                silentMs = Milliseconds(now - _peerTtlSince);
                ttlExpired = true;
                failure = $"heartbeat TTL expired: nothing received for {silentMs} ms after the peer's PING";
            }
            else
            {
                if (_pinging && now >= _nextPing)
                {
                    Volatile.Write(ref _pingDue, 1);
                    if (_pingAwaitingTraffic < 0)
                        _pingAwaitingTraffic = now; // libzmq: one timeout runs at a time, from the first unanswered PING
                    _nextPing = now + IntervalTicks;
                }
                Reschedule(now);
            }
        }
        if (failure is null)
        {
            _pipes?.Outbound.Readable.Set(); // wake the send loop for the PING
            return;
        }
        // Logged only when this is why it ends, and before the peer can see the close. Stopped outside the
        // lock: cancelling runs the loops' continuations.
        if (ClaimEnd(failure))
        {
            if (ttlExpired)
                _diagnostics.HeartbeatTtlExpired(Description, silentMs, Milliseconds(_peerTtlTicks));
            else
                _diagnostics.HeartbeatTimeout(Description, silentMs, Milliseconds(TimeoutTicks));
        }
        Stop(failure);
    }

    /// <summary>Arms the one timer for whatever is due first. Called under <see cref="_heartbeatLock"/>.</summary>
    private void Reschedule(long now)
    {
        var due = long.MaxValue;
        if (_pinging)
            due = _nextPing;
        if (_pingAwaitingTraffic >= 0)
            due = Math.Min(due, _pingAwaitingTraffic + TimeoutTicks);
        if (_peerTtlSince >= 0)
            due = Math.Min(due, _peerTtlSince + _peerTtlTicks);
        if (due == long.MaxValue)
            return;
        var dueMs = Math.Max(1, Milliseconds(due - now) + 1); // +1: never wake a tick early and find nothing due
        _heartbeatTimer ??= new Timer(OnHeartbeatTimer);
        _heartbeatTimer.Change(dueMs, Timeout.Infinite);
    }

    /// <summary>Writes a PING when one is due; the send loop calls it before each batch.</summary>
    private int WritePendingPing(Span<byte> buffer)
    {
        if (Volatile.Read(ref _pingDue) == 0 || Interlocked.Exchange(ref _pingDue, 0) == 0)
            return 0;
        return Commands.WritePing(buffer, TtlDeciseconds, []); // an empty context, as libzmq sends
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static long Milliseconds(long stopwatchTicks) => stopwatchTicks * 1000 / Stopwatch.Frequency;
}
