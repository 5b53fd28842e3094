using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;

namespace Expair.Engine;

/// <summary>
/// Heartbeats (37/ZMTP "Connection Heartbeating"), with libzmq's meanings of interval, timeout and TTL: our PINGs,
/// the PONGs we owe, the peer's TTL, and the one due time that watches them (kept by <see cref="HeartbeatClock"/>,
/// off the thread pool). The receive path only stamps the time of its last read, so messages cost nothing extra.
/// Called by the receive side, the send loop and the clock.
/// </summary>
internal sealed class Heartbeater
{
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly string _description;
    private bool _peerSupportsHeartbeats; // its greeting said ZMTP 3.1 or later, or it sent a PING
    private readonly Socket _socket;
    private readonly Signal _wakeSender;
    private readonly EndReason _end;
    private readonly Action<string> _stop;
    private readonly Lock _lock = new();
    private readonly byte[] _pongContext = new byte[Commands.MaxPingContext];
    private readonly byte[] _commandBody = new byte[Commands.MaxHeartbeatBodySize]; // the send loop's
    private long _queuedDue = long.MaxValue; // the clock's entry that counts; later ones it holds are stale
    private bool _ended;
    private bool _pinging;
    private long _lastReceived; // Stopwatch timestamp of the last read that returned bytes
    private long _nextPing;
    private long _pingAwaitingTraffic = -1; // when the PING that waits for any traffic was sent; -1 none
    private long _peerTtlSince = -1; // _lastReceived when a PING with a TTL arrived; -1 none
    private long _peerTtlTicks;
    private int _pingDue; // 1 when the send loop should write a PING
    private int _pongLength = -1; // the context length of the PONG owed; -1 none

    public Heartbeater(SocketSettings options, SocketDiagnostics diagnostics, string description, bool peerSupportsHeartbeats,
        Socket socket, Signal wakeSender, EndReason end, Action<string> stop)
    {
        _options = options;
        _diagnostics = diagnostics;
        _description = description;
        _peerSupportsHeartbeats = peerSupportsHeartbeats;
        _socket = socket;
        _wakeSender = wakeSender;
        _end = end;
        _stop = stop;
    }

    private long IntervalTicks => ToTicks(_options.HeartbeatInterval);

    /// <summary>libzmq: a zero timeout means "the same as the interval".</summary>
    private long TimeoutTicks => ToTicks(_options.HeartbeatTimeout == TimeSpan.Zero ? _options.HeartbeatInterval : _options.HeartbeatTimeout);

    /// <summary>37/ZMTP: the PING's TTL is in tenths of a second.</summary>
    private ushort TtlDeciseconds => (ushort)(_options.HeartbeatTtl.Ticks / (TimeSpan.TicksPerMillisecond * 100));

    /// <summary>Any bytes from the peer are a sign of life (37/ZMTP), not only a PONG.</summary>
    public void MarkReceived() => Volatile.Write(ref _lastReceived, Stopwatch.GetTimestamp());

    /// <summary>Starts pinging when the interval is set and the peer speaks ZMTP 3.1 or later.</summary>
    public void Start()
    {
        MarkReceived();
        if (_options.HeartbeatInterval == TimeSpan.Zero)
            return;
        if (!_peerSupportsHeartbeats)
        {
            _diagnostics.HeartbeatsUnsupported(_description); // a 3.0 peer might take a PING for a protocol error
            return;
        }
        StartPinging();
    }

    private void StartPinging()
    {
        _diagnostics.HeartbeatsStarted(_description, (long)_options.HeartbeatInterval.TotalMilliseconds, TimeoutTicks * 1000 / Stopwatch.Frequency, TtlDeciseconds);
        lock (_lock)
        {
            if (_ended)
                return;
            _pinging = true;
            _nextPing = Stopwatch.GetTimestamp() + IntervalTicks;
            Reschedule();
        }
    }

    public void Stop()
    {
        lock (_lock)
        {
            _ended = true;
            _queuedDue = long.MaxValue;
            HeartbeatClock.Shared.Cancel(this);
        }
    }

    /// <summary>
    /// 37/ZMTP: every PING is answered with a PONG echoing its context (the send loop writes it), also from a peer
    /// whose greeting said 3.0 (as libzmq does); its TTL starts a watch. A 3.0 peer that PINGs speaks PING, so with
    /// our heartbeats on, we PING it too from then on.
    /// </summary>
    public void OnPing(ReadOnlySpan<byte> data)
    {
        if (!_peerSupportsHeartbeats)
        {
            _peerSupportsHeartbeats = true; // only the receive side writes it
            if (_options.HeartbeatInterval != TimeSpan.Zero)
                StartPinging();
        }
        var ttl = Commands.PingTtl(data);
        var context = Commands.PingContext(data);
        lock (_lock)
        {
            if (ttl != 0 && !_ended)
            {
                _peerTtlTicks = ToTicks(TimeSpan.FromMilliseconds(ttl * 100));
                _peerTtlSince = Volatile.Read(ref _lastReceived);
                Reschedule();
            }
            context.CopyTo(_pongContext);
            _pongLength = context.Length;
        }
        _wakeSender.Set();
    }

    /// <summary>
    /// A message frame was decoded: if it came after a PING with a TTL, the peer is not silent. Timestamps alone
    /// miss this when the frame arrived in the same read as the PING (libzmq cancels the TTL on any message too).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public void OnPeerMessageFrame()
    {
        if (Volatile.Read(ref _peerTtlSince) < 0)
            return; // the common case: one volatile read per frame, no lock
        lock (_lock)
            _peerTtlSince = -1;
    }

    /// <summary>The send loop, before each batch: adds the PONG owed and a PING that is due.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void WritePending(FrameEncoder encoder)
    {
        if (Volatile.Read(ref _pongLength) >= 0)
        {
            int length;
            lock (_lock)
            {
                length = _pongLength < 0 ? 0 : Commands.WritePongBody(_commandBody, _pongContext.AsSpan(0, _pongLength));
                _pongLength = -1;
            }
            if (length > 0)
                encoder.AddCommand(_commandBody.AsSpan(0, length));
        }
        if (Volatile.Read(ref _pingDue) != 0 && Interlocked.Exchange(ref _pingDue, 0) != 0)
            encoder.AddCommand(_commandBody.AsSpan(0, Commands.WritePingBody(_commandBody, TtlDeciseconds, []))); // an empty context, as libzmq sends
    }

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
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false; // the connection is ending anyway
        }
    }

    /// <summary>The clock's call at <paramref name="due"/>: ignored when that is no longer this heartbeater's due time.</summary>
    public void OnDue(long due)
    {
        var now = Stopwatch.GetTimestamp();
        string? failure = null;
        long silentMs = 0;
        var ttlExpired = false;
        lock (_lock)
        {
            if (_ended || due != _queuedDue)
                return;
            _queuedDue = long.MaxValue;
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
                Reschedule();
            }
        }
        if (failure is null)
        {
            _wakeSender.Set(); // for the PING
            return;
        }
        // Logged only when this is why it ends, and before the peer can see the close. Stopped outside the
        // lock: cancelling runs the loops' continuations.
        if (_end.TryClaim(failure))
        {
            if (ttlExpired)
                _diagnostics.HeartbeatTtlExpired(_description, silentMs, Milliseconds(_peerTtlTicks));
            else
                _diagnostics.HeartbeatTimeout(_description, silentMs, Milliseconds(TimeoutTicks));
        }
        _stop(failure);
    }

    /// <summary>
    /// Asks the clock for a call when the first thing is due, unless an earlier call is already asked for (which
    /// then reschedules). Called under <see cref="_lock"/>.
    /// </summary>
    private void Reschedule()
    {
        var due = long.MaxValue;
        if (_pinging)
            due = _nextPing;
        if (_pingAwaitingTraffic >= 0)
            due = Math.Min(due, _pingAwaitingTraffic + TimeoutTicks);
        if (_peerTtlSince >= 0)
            due = Math.Min(due, _peerTtlSince + _peerTtlTicks);
        if (due >= _queuedDue)
            return;
        _queuedDue = due;
        HeartbeatClock.Shared.Schedule(this, due);
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static long Milliseconds(long stopwatchTicks) => stopwatchTicks * 1000 / Stopwatch.Frequency;
}
