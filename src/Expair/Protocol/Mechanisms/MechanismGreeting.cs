namespace Expair.Protocol.Mechanisms;

/// <summary>The checks PLAIN and CURVE make of the peer before and during their handshakes.</summary>
internal static class MechanismGreeting
{
    /// <summary>
    /// 23/ZMTP §"Version Negotiation": only NULL is possible with a ZMTP 1.0/2.0 peer. Two sides that both say
    /// they are the server cannot complete the handshake. A peer that says it is the client tells us nothing:
    /// libzmq sends as-server 0 also as server, so two clients are found out by the first command instead.
    /// </summary>
    public static void Check(IMechanism mechanism, PeerGreeting peer)
    {
        if (peer.Major < 3)
            throw new ProtocolViolationException($"{mechanism.Name} needs ZMTP 3.0 or later; the peer speaks {peer.Major}.{peer.Minor}");
        if (mechanism.AsServer && peer.AsServer)
            throw new ProtocolViolationException($"both sides are {mechanism.Name} servers; one must be the client");
    }

    /// <summary>
    /// An ERROR command during the handshake ends it with the peer's reason (23/ZMTP "Error Handling"), also in
    /// the malformed shape libzmq 4.3.4's PLAIN server sends (see <see cref="MechanismCommands.IsError"/>).
    /// </summary>
    public static void ThrowIfError(ReadOnlySpan<byte> body)
    {
        if (MechanismCommands.IsError(body, out var reason))
            throw ProtocolViolationException.FromPeerError(reason);
    }
}
