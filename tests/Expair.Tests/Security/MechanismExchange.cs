using System.Buffers;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Tests.Security;

/// <summary>
/// Runs a client and a server mechanism against each other in memory, as the handshake driver would: whoever has
/// a command due writes it and the other receives it; a server that needs authentication is answered by
/// <c>authenticate</c> (null allows). Records every command body, in order, with its sender and kind.
/// </summary>
internal sealed class MechanismExchange(IMechanism client, IMechanism server)
{
    public List<(string From, CommandDue Due, byte[] Body)> Commands { get; } = [];

    public List<PeerIdentity> IdentitiesSeen { get; } = [];

    /// <summary>Runs until neither side has anything to write; the exception of the side that refused, if any, propagates.</summary>
    public void Run(Func<PeerIdentity, string?>? authenticate = null)
    {
        for (var step = 0; step < 20; step++)
        {
            if (server.Status == MechanismStatus.AuthenticationNeeded)
            {
                IdentitiesSeen.Add(server.Identity!);
                server.CompleteAuthentication(authenticate?.Invoke(server.Identity!));
                continue;
            }
            if (Send("client", client, server) || Send("server", server, client))
                continue;
            return;
        }
        throw new InvalidOperationException("the handshake did not settle in 20 steps");
    }

    private bool Send(string from, IMechanism sender, IMechanism receiver)
    {
        var due = sender.CommandDue;
        if (due == CommandDue.None)
            return false;
        var body = Write(sender);
        Commands.Add((from, due, body));
        receiver.ReceiveCommand(body);
        return true;
    }

    /// <summary>The body of the one command <paramref name="mechanism"/> has due.</summary>
    public static byte[] Write(IMechanism mechanism)
    {
        var writer = new ArrayBufferWriter<byte>();
        mechanism.WriteCommand(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>The names of the commands sent, as "client HELLO", "server WELCOME", ...</summary>
    public IEnumerable<string> Names => Commands.Select(c => $"{c.From} {System.Text.Encoding.ASCII.GetString(c.Body, 1, c.Body[0])}");
}
