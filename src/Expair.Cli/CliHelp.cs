using System.CommandLine;
using System.Text;

namespace Expair.Cli;

/// <summary>
/// A command's help page: its synopsis and what it does (written per command), then every option of the
/// command as System.CommandLine holds it, each with its default, then the exit codes. Options added to a
/// command (e.g. by <see cref="SocketOptionFlags"/>) appear without touching the page.
/// </summary>
internal sealed record CliHelp(string Synopsis, string About, string ExitCodes)
{
    private const int Width = 110;

    public string Render(Command command)
    {
        var text = new StringBuilder();
        text.AppendLine(Synopsis.TrimEnd()).AppendLine();
        if (About.Length > 0)
            text.AppendLine(About.TrimEnd()).AppendLine();
        var rows = command.Options.Where(o => !o.Hidden && o is not System.CommandLine.Help.HelpOption and not VersionOption)
            .Select(o => (Label: o.HelpName is null || o.Arity.MaximumNumberOfValues == 0 ? o.Name : $"{o.Name} {o.HelpName}", o.Description ?? ""))
            .ToList();
        if (rows.Count > 0)
        {
            text.AppendLine("Options:");
            var column = Math.Min(rows.Max(r => r.Label.Length), 28) + 4;
            foreach (var (label, description) in rows)
                AppendRow(text, label, description, column);
            text.AppendLine();
        }
        text.Append(ExitCodes.TrimEnd());
        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, string label, string description, int column)
    {
        var line = new StringBuilder("  ").Append(label);
        if (line.Length + 1 >= column)
        {
            text.AppendLine(line.ToString());
            line.Clear();
        }
        // The default stays on one line: "(default: 30000)" is never split.
        var at = description.LastIndexOf(" (default: ", StringComparison.Ordinal);
        var words = at < 0 ? description.Split(' ') : [.. description[..at].Split(' '), description[(at + 1)..]];
        foreach (var word in words)
        {
            if (line.Length > column && line.Length + 1 + word.Length > Width)
            {
                text.AppendLine(line.ToString());
                line.Clear();
            }
            if (line.Length < column)
                line.Append(' ', column - line.Length);
            else
                line.Append(' ');
            line.Append(word);
        }
        text.AppendLine(line.ToString());
    }
}
