using System.Runtime.CompilerServices;
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
    /// Default 100 ms. <see cref="Timeout.InfiniteTimeSpan"/> means never reconnect.
    /// </summary>
    public TimeSpan ReconnectInterval { get; init => field = TimeoutValue(value); } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Upper bound for the reconnect wait, which doubles after each failed attempt when this is larger than
    /// <see cref="ReconnectInterval"/> (libzmq's <c>ZMQ_RECONNECT_IVL_MAX</c>). Default zero: no back-off.
    /// </summary>
    public TimeSpan ReconnectIntervalMax { get; init => field = NonNegative(value); } = TimeSpan.Zero;

    /// <summary>
    /// Longest time a new connection may take to complete the ZMTP handshake before it is closed
    /// (libzmq's <c>ZMQ_HANDSHAKE_IVL</c>). Default 30 seconds.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init => field = Positive(value); } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest message, in bytes summed over its frames, accepted from the peer (libzmq's <c>ZMQ_MAXMSGSIZE</c>).
    /// A peer that announces a larger frame is disconnected before any of it is buffered. Default -1: no
    /// limit beyond the largest .NET array (about 2 GiB per frame).
    /// </summary>
    public long MaxMessageSize { get; init => field = value >= -1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), value, "MaxMessageSize must be -1 (no limit) or a byte count of 0 or more."); } = -1;

    /// <summary>
    /// How many extra peers a bound socket keeps waiting, with their handshake held, while it already has a
    /// peer. When the peer leaves, the first waiting one takes its place at once. Beyond this number new
    /// arrivals are closed (they retry). Default 4.
    /// </summary>
    public int MaxWaitingPeers { get; init => field = NonNegative(value); } = 4;

    /// <summary>Where the socket logs connections, refusals and protocol errors. Default null: no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    private static int NonNegative(int value, [CallerMemberName] string name = "") =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be 0 or more.");

    private static TimeSpan NonNegative(TimeSpan value, [CallerMemberName] string name = "") =>
        value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or more.");

    private static TimeSpan Positive(TimeSpan value, [CallerMemberName] string name = "") =>
        value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be more than zero.");

    private static TimeSpan TimeoutValue(TimeSpan value, [CallerMemberName] string name = "") =>
        value >= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be zero or more, or Timeout.InfiniteTimeSpan.");
}
