using System.Diagnostics;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using Expair.Tests.Security;
using Xunit.Abstractions;

namespace Expair.Tests.Fuzz;

/// <summary>
/// Mutated PLAIN and CURVE handshake commands and CURVE MESSAGEs against live mechanisms: each arrives at the
/// point of a real handshake where the genuine one was due, and the only outcomes are acceptance or a
/// <see cref="ProtocolViolationException"/>. Whatever a CURVE box, nonce, cookie or name protects is never
/// accepted altered (HELLO's zero padding is the one field nobody checks, as in libzmq).
/// </summary>
public class SecurityFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 3_000;
    private const int MinIterations = 300;

    /// <summary>Past <see cref="MinIterations"/>, a slow machine stops early rather than taking minutes.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);
    private static readonly KeyValuePair<string, string>[] Properties = [new("Socket-Type", "PAIR"), new("Identity", "fuzz")];

    [Fact]
    public void FixedSeed_MutatedSecurityCommands_OnlyAcceptedOrRefused() => Run(FuzzSeeds.Fixed);

    [Fact]
    public void FreshSeed_MutatedSecurityCommands_OnlyAcceptedOrRefused() => Run(FuzzSeeds.Fresh());

    private void Run(int seed)
    {
        output.WriteLine($"security fuzz seed {seed} (replay: EXPAIR_FUZZ_SEED={seed})");
        var mutator = new Mutator(seed);
        using var clientKeys = CurveKeyPair.Generate();
        using var serverKeys = CurveKeyPair.Generate();
        var clock = Stopwatch.StartNew();
        var (accepted, refused, iterations) = (0, 0, 0);
        for (; iterations < Iterations && (iterations < MinIterations || clock.Elapsed < Budget); iterations++)
        {
            var curve = mutator.Random.Next(3) != 0;
            using var client = curve
                ? CurveMechanism.Client(serverKeys.PublicKey, clientKeys.PublicKey, clientKeys.SecretKey, Properties)
                : (IMechanism)PlainMechanism.Client("user", "password", Properties);
            using var server = curve
                ? CurveMechanism.Server(serverKeys.PublicKey, serverKeys.SecretKey, authenticate: true, Properties)
                : (IMechanism)PlainMechanism.Server(Properties);
            // Commands 0-3 are HELLO, WELCOME, INITIATE, READY; 4 is a MESSAGE either way (CURVE only).
            var target = mutator.Random.Next(curve ? 5 : 4);
            var (genuine, receiver) = AdvanceTo(target, client, server);
            var mutated = mutator.Mutate(genuine);
            var changed = !mutated.AsSpan().SequenceEqual(genuine);
            try
            {
                if (target == 4)
                {
                    var payload = new byte[receiver.UnwrappedLength(mutated.Length) + 1];
                    receiver.UnwrapFrame(mutated, payload, out _);
                }
                else
                {
                    receiver.ReceiveCommand(mutated);
                }
                var paddingOnly = curve && target == 0 && mutated.Length == genuine.Length && OnlyDiffersIn(mutated, genuine, 8, 80);
                Assert.True(!curve || !changed || paddingOnly, $"an altered CURVE command {target} was accepted: {Convert.ToHexString(mutated)}");
                accepted++;
            }
            catch (ProtocolViolationException)
            {
                Assert.True(changed, "the genuine command was refused");
                refused++;
            }
        }
        output.WriteLine($"{iterations} mutated commands: {accepted} accepted, {refused} refused");
        Assert.True(refused > 0);
    }

    /// <summary>Runs the handshake until command <paramref name="target"/> is written; returns it and who must read it.</summary>
    private static (byte[] Genuine, IMechanism Receiver) AdvanceTo(int target, IMechanism client, IMechanism server)
    {
        for (var command = 0; ; command++)
        {
            var (sender, receiver) = command % 2 == 0 ? (client, server) : (server, client);
            if (command == 4)
            {
                var wire = new byte[sender.WrappedLength(5)];
                sender.WrapFrame(FrameFlags.More, "hello"u8, wire);
                return (wire, receiver);
            }
            var body = MechanismExchange.Write(sender);
            if (command == target)
                return (body, receiver);
            receiver.ReceiveCommand(body);
            if (server.Status == MechanismStatus.AuthenticationNeeded)
                server.CompleteAuthentication(null);
        }
    }

    private static bool OnlyDiffersIn(byte[] a, byte[] b, int from, int to)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i] && (i < from || i >= to))
                return false;
        }
        return true;
    }
}
