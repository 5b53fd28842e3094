using System.CommandLine;

namespace Expair.Cli;

/// <summary><c>expair keygen</c>: a fresh CURVE key pair, as libzmq's <c>curve_keygen</c> makes one.</summary>
internal static class KeygenCommand
{
    private static readonly CliHelp Help = new(
        "Usage: expair keygen",
        """
        Prints a fresh CURVE key pair (libsodium's random source) as two lines of Z85:
          public-key=<40 characters>   give it to the peers (--curve-serverkey, --curve-allow)
          secret-key=<40 characters>   keep it private (--curve-secret)
        The keys work with libzmq and pyzmq (zmq_curve_keypair, zmq.curve_keypair()).
        """,
        "Exit codes: 0 done, 2 bad arguments.");

    public static CliCommand Create(CliConsole console)
    {
        var command = new Command("keygen", "print a fresh CURVE key pair");
        command.SetAction(_ =>
        {
            using var keys = CurveKeyPair.Generate();
            console.Out.WriteLine($"public-key={keys.PublicKeyZ85}");
            console.Out.WriteLine($"secret-key={keys.GetSecretKeyZ85()}");
            return ExitCode.Ok;
        });
        return new CliCommand(command, Help);
    }
}
