using System.Runtime.CompilerServices;
using Expair.Core;
using Expair.Protocol.Mechanisms;
using Microsoft.Extensions.Logging;

namespace Expair;

/// <summary>
/// Settings of a <see cref="PairSocket"/>. Immutable; build one with an object initializer
/// (<c>new PairSocketOptions { SendHighWaterMark = 10 }</c>) or <c>with</c> on <see cref="Default"/>.
/// Every value is validated when it is set and a wrong one throws <see cref="ArgumentOutOfRangeException"/>.
/// </summary>
public sealed record PairSocketOptions
{
    /// <summary>The defaults, as documented on each property.</summary>
    public static PairSocketOptions Default { get; } = new();

    /// <summary>
    /// Most messages queued for sending to the peer (libzmq's <c>ZMQ_SNDHWM</c>). Default 1000; 0 means no limit.
    /// When the queue is full, <c>Send</c> blocks, <c>TrySend</c> returns false after its timeout.
    /// </summary>
    public int SendHighWaterMark { get; init => field = NonNegative(value); } = 1000;

    /// <summary>
    /// Most messages queued after arriving from the peer and not yet received (libzmq's <c>ZMQ_RCVHWM</c>).
    /// Default 1000; 0 means no limit. When the queue is full the peer is no longer read, so it is held back.
    /// </summary>
    public int ReceiveHighWaterMark { get; init => field = NonNegative(value); } = 1000;

    /// <summary>
    /// How long <c>Send</c> waits for a peer or queue room before throwing <see cref="TimeoutException"/>.
    /// Default <see cref="Timeout.InfiniteTimeSpan"/> (wait for ever).
    /// </summary>
    public TimeSpan SendTimeout { get; init => field = TimeoutValue(value); } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long <c>Receive</c> waits for a message before throwing <see cref="TimeoutException"/>.
    /// Default <see cref="Timeout.InfiniteTimeSpan"/> (wait for ever).
    /// </summary>
    public TimeSpan ReceiveTimeout { get; init => field = TimeoutValue(value); } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long <c>Dispose</c> keeps trying to deliver messages still queued for the peer (libzmq's
    /// <c>ZMQ_LINGER</c>). Default 5 seconds: long enough for "send, close, exit" programs to deliver
    /// everything, short enough that a vanished peer never hangs shutdown for ever. Zero discards at once;
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits until delivered.
    /// </summary>
    public TimeSpan Linger { get; init => field = TimeoutValue(value); } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Wait before the connecting side retries a lost or refused connection (libzmq's <c>ZMQ_RECONNECT_IVL</c>).
    /// Default 100 ms; at least 1 ms, since a shorter wait retries a refused connection in a busy loop.
    /// <see cref="Timeout.InfiniteTimeSpan"/> means never reconnect.
    /// </summary>
    public TimeSpan ReconnectInterval { get; init => field = ReconnectWait(value, allowZero: false); } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Upper bound for the reconnect wait, which doubles after each failed attempt when this is larger than
    /// <see cref="ReconnectInterval"/> (libzmq's <c>ZMQ_RECONNECT_IVL_MAX</c>). Default zero: no back-off.
    /// Otherwise at least 1 ms, like <see cref="ReconnectInterval"/>.
    /// </summary>
    public TimeSpan ReconnectIntervalMax { get; init => field = ReconnectWait(value, allowZero: true); } = TimeSpan.Zero;

    /// <summary>
    /// Longest time a new connection may take to complete the ZMTP handshake before it is closed
    /// (libzmq's <c>ZMQ_HANDSHAKE_IVL</c>). Default 30 seconds. <see cref="Timeout.InfiniteTimeSpan"/> turns the
    /// limit off (libzmq's 0); <see cref="MaxPendingHandshakes"/> still bounds connections that never finish.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init => field = PositiveOrInfinite(value); } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many connections a bound socket lets sit in the ZMTP handshake at once, per endpoint. When one more
    /// arrives, the oldest still handshaking is closed, so a flood of connections that never finish their
    /// handshake cannot lock the real peer out; each waits at most <see cref="HandshakeTimeout"/> anyway.
    /// Peers that completed their side of the handshake and wait for the PAIR slot do not count (see
    /// <see cref="MaxWaitingPeers"/>). Default 100; at least 1.
    /// </summary>
    public int MaxPendingHandshakes { get; init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxPendingHandshakes), value, "MaxPendingHandshakes must be 1 or more."); } = 100;

    /// <summary>
    /// Time between the PING commands this socket sends to check that the peer is alive (37/ZMTP
    /// "Connection Heartbeating"; libzmq's <c>ZMQ_HEARTBEAT_IVL</c>). Default <see cref="TimeSpan.Zero"/>:
    /// no PINGs, as in libzmq. Only peers speaking ZMTP 3.1 or later get PINGs; a 3.0 peer is never pinged.
    /// At most <see cref="int.MaxValue"/> milliseconds.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; init => field = Milliseconds(value); } = TimeSpan.Zero;

    /// <summary>
    /// How long after a PING the connection may stay silent before it is dropped as dead (libzmq's
    /// <c>ZMQ_HEARTBEAT_TIMEOUT</c>). Any bytes from the peer count as a sign of life, not only its PONG.
    /// Default <see cref="TimeSpan.Zero"/>: the same as <see cref="HeartbeatInterval"/>, as in libzmq.
    /// Used only when <see cref="HeartbeatInterval"/> is set. At most <see cref="int.MaxValue"/> milliseconds.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; init => field = Milliseconds(value); } = TimeSpan.Zero;

    /// <summary>
    /// Time-to-live sent in each PING (libzmq's <c>ZMQ_HEARTBEAT_TTL</c>): the peer should drop the connection
    /// when nothing arrives from us for this long after a PING. It travels in tenths of a second in 16 bits
    /// (37/ZMTP), so it must be zero or between 0.1 s and 6553.5 s, and is rounded down to a tenth of a second.
    /// Default <see cref="TimeSpan.Zero"/>: no TTL. Set <see cref="HeartbeatInterval"/> below it, or the
    /// peer may drop an idle but healthy connection.
    /// </summary>
    public TimeSpan HeartbeatTtl { get; init => field = Ttl(value); } = TimeSpan.Zero;

    /// <summary>
    /// Largest message, in bytes summed over its frames, accepted from the peer (libzmq's <c>ZMQ_MAXMSGSIZE</c>);
    /// each frame after the first also counts the memory its slot takes (a few dozen bytes), so a message of
    /// endless empty frames is cut too. A peer that announces a larger frame is disconnected before any of it is
    /// buffered. Default -1: no limit beyond the largest .NET array (about 2 GiB per frame).
    /// </summary>
    public long MaxMessageSize { get; init => field = value >= -1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), value, "MaxMessageSize must be -1 (no limit) or a byte count of 0 or more."); } = -1;

    /// <summary>
    /// The security mechanism and its credentials: <see cref="SocketSecurity.Null"/> (the default: no
    /// authentication, no encryption), or a CURVE or PLAIN server or client made by <see cref="SocketSecurity"/>'s
    /// factory methods. Both sides must use the same mechanism, one as server and one as client; a peer
    /// speaking another mechanism is refused. See docs/security.md.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public SocketSecurity Security { get; init => field = value ?? throw new ArgumentNullException(nameof(Security), "Security must not be null; SocketSecurity.Null is the NULL mechanism."); } = SocketSecurity.Null;

    /// <summary>
    /// How long a server waits for its <see cref="SocketSecurity.Authenticator"/> to answer about one peer; a
    /// later answer, like an exception from the authenticator, denies the peer. Default 5 seconds; more than
    /// zero and at most <see cref="int.MaxValue"/> milliseconds. The handshake's own limit,
    /// <see cref="HandshakeTimeout"/>, still applies.
    /// </summary>
    public TimeSpan AuthenticationTimeout { get; init => field = Positive(value); } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many extra peers a bound socket keeps waiting, with their handshake held, while it already has a
    /// peer. When the peer leaves, the first waiting one takes its place at once. Beyond this number new
    /// arrivals are closed (they retry). Default 4.
    /// </summary>
    public int MaxWaitingPeers { get; init => field = NonNegative(value); } = 4;

    /// <summary>Where the socket logs connections, refusals and protocol errors. Default null: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The values the layers below the API read, taken once when a socket is created.</summary>
    /// <summary>
    /// The settings below the API. <paramref name="socketSecurity"/> is what <see cref="SocketSecurity.ForSocket"/>
    /// made of <see cref="Security"/> for the one socket these settings serve (default: <see cref="Security"/> itself).
    /// </summary>
    internal SocketSettings ToSettings(SocketSecurity? socketSecurity = null) => new()
    {
        CreateMechanism = (socketSecurity ?? Security).CreateMechanism,
        Authenticate = Authenticator((socketSecurity ?? Security).Authenticator, AuthenticationTimeout),
        SendHighWaterMark = SendHighWaterMark,
        ReceiveHighWaterMark = ReceiveHighWaterMark,
        ReconnectInterval = ReconnectInterval,
        ReconnectIntervalMax = ReconnectIntervalMax,
        HandshakeTimeout = HandshakeTimeout,
        MaxPendingHandshakes = MaxPendingHandshakes,
        HeartbeatInterval = HeartbeatInterval,
        HeartbeatTimeout = HeartbeatTimeout,
        HeartbeatTtl = HeartbeatTtl,
        MaxMessageSize = MaxMessageSize,
        MaxWaitingPeers = MaxWaitingPeers,
    };

    /// <summary>The authenticator as the handshake asks it (<see cref="PeerAuthentication.Decide"/>): null allows, a reason denies.</summary>
    private static Func<PeerIdentity, string, CancellationToken, string?>? Authenticator(IPeerAuthenticator? authenticator, TimeSpan timeout) =>
        authenticator is null ? null : (identity, peer, cancellationToken) =>
            PeerAuthentication.Decide(authenticator, PeerAuthentication.Request(identity, peer), timeout, cancellationToken).DenyReason;

    private static int NonNegative(int value, [CallerMemberName] string name = "") =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be 0 or more.");

    private static TimeSpan NonNegative(TimeSpan value, [CallerMemberName] string name = "") =>
        value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or more.");

    private static TimeSpan Positive(TimeSpan value, [CallerMemberName] string name = "") =>
        value > TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be more than zero and at most int.MaxValue milliseconds.");

    private static TimeSpan PositiveOrInfinite(TimeSpan value, [CallerMemberName] string name = "") =>
        (value > TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue) || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be more than zero and at most int.MaxValue milliseconds, or Timeout.InfiniteTimeSpan.");

    private static TimeSpan Milliseconds(TimeSpan value, [CallerMemberName] string name = "") =>
        value >= TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or more and at most int.MaxValue milliseconds (about 24.8 days).");

    /// <summary>37/ZMTP: the PING's TTL is a 16-bit count of tenths of a second.</summary>
    private static TimeSpan Ttl(TimeSpan value, [CallerMemberName] string name = "") =>
        value == TimeSpan.Zero || (value >= TimeSpan.FromMilliseconds(100) && value <= TimeSpan.FromMilliseconds(ushort.MaxValue * 100L))
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero (no TTL) or between 0.1 s and 6553.5 s: it travels in tenths of a second in 16 bits.");

    /// <summary>The shortest reconnect wait: below it a refused connection is retried in a busy loop.</summary>
    private static readonly TimeSpan MinimumReconnectWait = TimeSpan.FromMilliseconds(1);

    private static TimeSpan ReconnectWait(TimeSpan value, bool allowZero, [CallerMemberName] string name = "") =>
        value >= MinimumReconnectWait || (allowZero ? value == TimeSpan.Zero : value == Timeout.InfiniteTimeSpan)
            ? value
            : throw new ArgumentOutOfRangeException(name, value, allowZero
                ? $"{name} must be zero (no back-off) or at least 1 ms (the minimum reconnect wait)."
                : $"{name} must be at least 1 ms (the minimum reconnect wait: a shorter one retries in a busy loop), or Timeout.InfiniteTimeSpan (never reconnect).");

    private static TimeSpan TimeoutValue(TimeSpan value, [CallerMemberName] string name = "") =>
        value >= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or more, or Timeout.InfiniteTimeSpan.");
}
