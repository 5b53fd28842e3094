using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Expair.Cli;

/// <summary>
/// Builds the options the commands share, on System.CommandLine. Each option's help line ends with its
/// default, and each value parser reports a wrong value as one line naming the option
/// (<c>option --count needs a whole number, not 'abc'</c>), which <see cref="CliParser"/> turns into exit code 2.
/// </summary>
internal static class CliOptions
{
    /// <summary>A whole-number option of at least <paramref name="min"/>; null when absent.</summary>
    public static Option<int?> WholeNumber(string name, string valueName, int min, string description, string defaultText) =>
        new(name)
        {
            HelpName = valueName,
            Description = WithDefault(description, defaultText),
            CustomParser = result => ParseNumber(result, min, int.MaxValue) is { } value ? (int)value : null,
        };

    /// <summary>A byte count or other 64-bit number of at least <paramref name="min"/>; null when absent.</summary>
    public static Option<long?> LongNumber(string name, string valueName, long min, string description, string defaultText) =>
        new(name)
        {
            HelpName = valueName,
            Description = WithDefault(description, defaultText),
            CustomParser = result => ParseNumber(result, min, long.MaxValue),
        };

    /// <summary>A millisecond option of at least <paramref name="min"/> (-1 where libzmq uses it for "for ever"); null when absent.</summary>
    public static Option<int?> Milliseconds(string name, string description, string defaultText, int min = 0) =>
        WholeNumber(name, "MS", min, description, defaultText);

    /// <summary>A switch that takes no value.</summary>
    public static Option<bool> Flag(string name, string description) =>
        new(name) { Arity = ArgumentArity.Zero, Description = WithDefault(description, "off") };

    /// <summary><c>--format text|hex|base64</c>.</summary>
    public static Option<MessageFormat> Format(string description) =>
        new("--format")
        {
            HelpName = "text|hex|base64",
            Description = WithDefault(description, "text"),
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (MessageFormats.TryParse(text, out var format))
                    return format;
                result.AddError($"option --format must be text, hex or base64, not '{text}'");
                return MessageFormat.Text;
            },
        };

    /// <summary><c>--bind ENDPOINT</c> and <c>--connect ENDPOINT</c>, of which a socket command takes exactly one.</summary>
    public static (Option<string?> Bind, Option<string?> Connect) Endpoint() =>
        (new Option<string?>("--bind")
        {
            HelpName = "ENDPOINT",
            Description = "listen on ENDPOINT for the peer (tcp://*:5555, tcp://127.0.0.1:*, ipc:///tmp/x, inproc://name); give this or --connect",
        },
        new Option<string?>("--connect")
        {
            HelpName = "ENDPOINT",
            Description = "connect to the peer at ENDPOINT (tcp://127.0.0.1:5555); retried until it answers; give this or --bind",
        });

    /// <summary>Exactly one of <c>--bind</c> or <c>--connect</c>, else a usage error.</summary>
    public static SocketTarget Target(this ParseResult parsed, (Option<string?> Bind, Option<string?> Connect) endpoint)
    {
        var bind = parsed.GetValue(endpoint.Bind);
        var connect = parsed.GetValue(endpoint.Connect);
        var command = parsed.CommandResult.Command.Name;
        if (bind is not null && connect is not null)
            throw CliParser.Error(command, "give either --bind or --connect, not both (a PAIR socket has one endpoint)");
        if (bind is null && connect is null)
            throw CliParser.Error(command, "missing endpoint: give --bind ENDPOINT or --connect ENDPOINT");
        var target = bind ?? connect!;
        return target.Length > 0 ? new SocketTarget(bind is not null, target) : throw CliParser.Error(command, "the endpoint is empty");
    }

    /// <summary>A millisecond option's value as a <see cref="TimeSpan"/>, or null when absent.</summary>
    public static TimeSpan? GetMilliseconds(this ParseResult parsed, Option<int?> option) =>
        parsed.GetValue(option) is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    public static string WithDefault(string description, string defaultText) => $"{description} (default: {defaultText})";

    private static long? ParseNumber(ArgumentResult result, long min, long max)
    {
        var name = ((OptionResult)result.Parent!).Option.Name;
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        var negative = text.StartsWith('-');
        if (!long.TryParse(negative ? text[1..] : text, NumberStyles.None, CultureInfo.InvariantCulture, out var magnitude) || magnitude > max)
        {
            result.AddError($"option {name} needs a whole number, not '{text}'");
            return null;
        }
        var value = negative ? -magnitude : magnitude;
        if (value < min)
        {
            result.AddError($"option {name} must be at least {min}, not {value}");
            return null;
        }
        return value;
    }
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
