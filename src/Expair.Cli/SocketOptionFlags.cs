using System.CommandLine;
using System.Globalization;

namespace Expair.Cli;

/// <summary>
/// The socket options every socket command takes, named as libzmq's (<c>--sndhwm</c> for <c>ZMQ_SNDHWM</c>, ...)
/// so a libzmq user guesses them, with libzmq's special values (<c>--linger -1</c> waits for ever,
/// <c>--reconnect-ivl -1</c> never reconnects, <c>--handshake-timeout 0</c> has no limit). The one place to add a
/// socket flag: declare it, add it in <see cref="AddTo"/>, apply it in <see cref="Apply"/>. The security flags
/// (<c>--curve-*</c>, <c>--plain*</c>) live in <see cref="SecurityFlags"/>, added and applied from here.
/// </summary>
internal sealed class SocketOptionFlags
{
    private static readonly PairSocketOptions Defaults = PairSocketOptions.Default;

    private readonly Option<int?> _sndhwm = CliOptions.WholeNumber("--sndhwm", "N", 0,
        "most messages queued for the peer; 0: no limit (ZMQ_SNDHWM)", Count(Defaults.SendHighWaterMark));
    private readonly Option<int?> _rcvhwm = CliOptions.WholeNumber("--rcvhwm", "N", 0,
        "most messages queued from the peer and not yet taken; 0: no limit (ZMQ_RCVHWM)", Count(Defaults.ReceiveHighWaterMark));
    private readonly Option<int?> _linger;
    private readonly SecurityFlags _security = new();
    private CurveKeyPair? _keys;
    private readonly Option<int?> _reconnectIvl = CliOptions.Milliseconds("--reconnect-ivl",
        "wait before the connecting side retries; -1: never (ZMQ_RECONNECT_IVL)", Ms(Defaults.ReconnectInterval), min: -1);
    private readonly Option<int?> _reconnectIvlMax = CliOptions.Milliseconds("--reconnect-ivl-max",
        "back off, doubling the retry wait up to MS; 0: no back-off (ZMQ_RECONNECT_IVL_MAX)", Ms(Defaults.ReconnectIntervalMax));
    private readonly Option<int?> _heartbeatIvl = CliOptions.Milliseconds("--heartbeat-ivl",
        "send a PING every MS; 0: none (ZMQ_HEARTBEAT_IVL)", Ms(Defaults.HeartbeatInterval));
    private readonly Option<int?> _heartbeatTimeout = CliOptions.Milliseconds("--heartbeat-timeout",
        "drop the connection when silent this long after a PING; 0: the interval (ZMQ_HEARTBEAT_TIMEOUT)", Ms(Defaults.HeartbeatTimeout));
    private readonly Option<int?> _heartbeatTtl = CliOptions.Milliseconds("--heartbeat-ttl",
        "ask the peer to drop the connection when we are silent this long; 0 or 100-6553500 (ZMQ_HEARTBEAT_TTL)", Ms(Defaults.HeartbeatTtl));
    private readonly Option<int?> _handshakeTimeout = CliOptions.Milliseconds("--handshake-timeout",
        "close a connection whose ZMTP handshake takes longer; 0: no limit (ZMQ_HANDSHAKE_IVL)", Ms(Defaults.HandshakeTimeout));
    private readonly Option<long?> _maxMsgSize = CliOptions.LongNumber("--max-msg-size", "BYTES", -1,
        "largest message accepted from the peer; -1: no limit (ZMQ_MAXMSGSIZE)", Defaults.MaxMessageSize.ToString(CultureInfo.InvariantCulture));

    /// <param name="lingerDefault">What the command lingers for when <c>--linger</c> is absent, as help text.</param>
    public SocketOptionFlags(string lingerDefault) =>
        _linger = CliOptions.Milliseconds("--linger",
            "on exit, wait at most MS for queued messages to reach the peer; -1: for ever (ZMQ_LINGER)", lingerDefault, min: -1);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _sndhwm, _rcvhwm, _linger, _reconnectIvl, _reconnectIvlMax, _heartbeatIvl,
                     _heartbeatTimeout, _heartbeatTtl, _handshakeTimeout, _maxMsgSize })
            command.Options.Add(option);
        _security.AddTo(command);
    }

    /// <summary>The linger the user asked for, or null to keep the command's own.</summary>
    public TimeSpan? Linger(ParseResult parsed) => parsed.GetValue(_linger) is { } ms ? Infinite(ms) : null;

    /// <summary>
    /// <paramref name="options"/> with every flag given on the command line. A value the socket refuses (a
    /// TTL of 50 ms) is a usage error naming the flag. Notes about the security chosen go to <paramref name="console"/>.
    /// </summary>
    public PairSocketOptions Apply(ParseResult parsed, PairSocketOptions options, CliConsole console)
    {
        var command = parsed.CommandResult.Command.Name;
        options = Set(parsed, _sndhwm, options, command, (o, v) => o with { SendHighWaterMark = v });
        options = Set(parsed, _rcvhwm, options, command, (o, v) => o with { ReceiveHighWaterMark = v });
        options = Set(parsed, _linger, options, command, (o, v) => o with { Linger = Infinite(v) });
        options = Set(parsed, _reconnectIvl, options, command, (o, v) => o with { ReconnectInterval = Infinite(v) });
        options = Set(parsed, _reconnectIvlMax, options, command, (o, v) => o with { ReconnectIntervalMax = TimeSpan.FromMilliseconds(v) });
        options = Set(parsed, _heartbeatIvl, options, command, (o, v) => o with { HeartbeatInterval = TimeSpan.FromMilliseconds(v) });
        options = Set(parsed, _heartbeatTimeout, options, command, (o, v) => o with { HeartbeatTimeout = TimeSpan.FromMilliseconds(v) });
        options = Set(parsed, _heartbeatTtl, options, command, (o, v) => o with { HeartbeatTtl = TimeSpan.FromMilliseconds(v) });
        // libzmq's ZMQ_HANDSHAKE_IVL 0 means no limit.
        options = Set(parsed, _handshakeTimeout, options, command, (o, v) => o with { HandshakeTimeout = v == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(v) });
        if (parsed.GetValue(_maxMsgSize) is { } max)
            options = options with { MaxMessageSize = max };
        var security = _security.Build(parsed, console);
        _keys = security.Keys;
        return options with { Security = security.Security };
    }

    /// <summary>
    /// Awaits the command's <paramref name="run"/> (which closes its socket), then zeroes the CURVE secret key
    /// <see cref="Apply"/> made from <c>--curve-secret</c>, as the application owning a <see cref="CurveKeyPair"/> must.
    /// </summary>
    public async Task<int> ReleasingKeysAfter(Task<int> run)
    {
        try
        {
            return await run.ConfigureAwait(false);
        }
        finally
        {
            _keys?.Dispose();
        }
    }

    private static PairSocketOptions Set(ParseResult parsed, Option<int?> option, PairSocketOptions options, string command, Func<PairSocketOptions, int, PairSocketOptions> set)
    {
        if (parsed.GetValue(option) is not { } value)
            return options;
        try
        {
            return set(options, value);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // The first line, without .NET's " (Parameter 'X')" and "Actual value was" line.
            var why = e.Message.Split(Environment.NewLine)[0].Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw CliParser.Error(command, $"option {option.Name} {value} is refused: {why}");
        }
    }

    /// <summary>libzmq's -1: for ever.</summary>
    private static TimeSpan Infinite(int ms) => ms == -1 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(ms);

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan value) => value == Timeout.InfiniteTimeSpan ? "-1" : ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
}
