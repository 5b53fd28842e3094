using System.Globalization;

namespace Expair.Cli;

/// <summary>
/// The options and operands of one command, parsed by hand: <c>--name VALUE</c> or <c>--name=VALUE</c> for
/// options that take a value, bare <c>--name</c> for switches, <c>--</c> to end options (so a message may start
/// with <c>-</c>). Anything wrong throws <see cref="UsageException"/>, which the CLI turns into exit code 2.
/// </summary>
internal sealed class CliArguments
{
    private readonly string _command;
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    private CliArguments(string command) => _command = command;

    /// <summary>The arguments that are not options, in order.</summary>
    public IReadOnlyList<string> Operands { get; private set; } = [];

    /// <summary>True when <c>--help</c> or <c>-h</c> was given (everything else is then ignored).</summary>
    public bool Help { get; private set; }

    /// <summary>
    /// Parses <paramref name="args"/> for <paramref name="command"/>, which accepts the options in
    /// <paramref name="valued"/> (each followed by a value) and the switches in <paramref name="switches"/>.
    /// </summary>
    public static CliArguments Parse(string command, IReadOnlyList<string> args, IReadOnlyCollection<string> valued, IReadOnlyCollection<string>? switches = null)
    {
        var parsed = new CliArguments(command);
        // Help wins wherever it appears before "--", even where a value was due: `recv --bind --help`.
        if (args.TakeWhile(a => a != "--").Any(a => a is "--help" or "-h"))
        {
            parsed.Help = true;
            return parsed;
        }
        var operands = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                operands.AddRange(args.Skip(i + 1));
                break;
            }
            if (arg.Length < 2 || arg[0] != '-')
            {
                operands.Add(arg); // "-" alone is an operand, as in most tools
                continue;
            }
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? arg[..equals] : arg;
            string? value = null;
            if (valued.Contains(name))
            {
                if (equals > 0)
                    value = arg[(equals + 1)..];
                else if (i + 1 < args.Count)
                    value = args[++i];
                else
                    throw parsed.Error($"option {name} needs a value");
            }
            else if (switches?.Contains(name) == true)
            {
                if (equals > 0)
                    throw parsed.Error($"option {name} takes no value");
            }
            else
            {
                throw parsed.Error($"unknown option '{name}'");
            }
            if (!parsed._options.TryAdd(name, value))
                throw parsed.Error($"option {name} given twice");
        }
        parsed.Operands = operands;
        return parsed;
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Get(string name) => _options.GetValueOrDefault(name);

    /// <summary>An integer option of at least <paramref name="min"/>, or null when absent.</summary>
    public int? GetInt(string name, int min)
    {
        if (!_options.TryGetValue(name, out var text))
            return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw Error($"option {name} needs a whole number, not '{text}'");
        return value >= min ? value : throw Error($"option {name} must be at least {min}, not {value}");
    }

    /// <summary>A millisecond option as a <see cref="TimeSpan"/>, or null when absent.</summary>
    public TimeSpan? GetMilliseconds(string name) =>
        GetInt(name, min: 0) is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    /// <summary>Exactly one of <c>--bind ENDPOINT</c> or <c>--connect ENDPOINT</c>.</summary>
    public SocketTarget GetTarget()
    {
        var bind = Get("--bind");
        var connect = Get("--connect");
        if (bind is not null && connect is not null)
            throw Error("give either --bind or --connect, not both (a PAIR socket has one endpoint)");
        if (bind is null && connect is null)
            throw Error("missing endpoint: give --bind ENDPOINT or --connect ENDPOINT");
        var endpoint = bind ?? connect!;
        return endpoint.Length > 0 ? new SocketTarget(bind is not null, endpoint) : throw Error("the endpoint is empty");
    }

    public void RequireNoOperands()
    {
        if (Operands.Count > 0)
            throw Error($"unexpected argument '{Operands[0]}'");
    }

    public UsageException Error(string message) => new($"{_command}: {message} (see 'expair {_command} --help')");
}

/// <summary>Where a command's socket goes: bound to or connected to <see cref="Endpoint"/>.</summary>
internal sealed record SocketTarget(bool IsBind, string Endpoint);

/// <summary>The command line is wrong; its message is printed as one line and the exit code is 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException() { }

    public UsageException(string message) : base(message) { }

    public UsageException(string message, Exception innerException) : base(message, innerException) { }
}
