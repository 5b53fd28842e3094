using System.Net.Sockets;

namespace Expair.Cli.Tests;

/// <summary>Both tests use port 5555, so they stay in this one class (xunit runs a class's tests one at a time).</summary>
public class DemoCommandTests
{
    private static readonly string[] FiveUpdates =
    [
        "Supervisor received: Status update 0",
        "Supervisor received: Status update 1",
        "Supervisor received: Status update 2",
        "Supervisor received: Status update 3",
        "Supervisor received: Status update 4",
    ];

    [Fact]
    public async Task Demo_PrintsExactlyTheFiveStatusUpdates_Exit0()
    {
        var result = await CliRunner.RunAsync("demo");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(FiveUpdates, result.StdoutLines);
        Assert.EndsWith(Environment.NewLine, result.Stdout, StringComparison.Ordinal);
        // Empty, or the note that something else on this machine holds 5555.
        Assert.True(result.StderrLines.Length == 0 || (result.StderrLines.Length == 1 && result.Stderr.Contains("instead", StringComparison.Ordinal)), result.ToString());
    }

    [Fact]
    public async Task Demo_WhenPort5555IsTaken_BindsAFreePortAndSaysSo()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            holder.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 5555));
            holder.Listen();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // Something else already holds it: the demo must fall back all the same.
        }

        var result = await CliRunner.RunAsync("demo");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(FiveUpdates, result.StdoutLines);
        var note = Assert.Single(result.StderrLines);
        Assert.Matches(@"^expair: demo: cannot bind tcp://\*:5555 \(.*\); bound tcp://127\.0\.0\.1:\d+ instead$", note);
    }
}
