namespace Expair.Core;

/// <summary>A peer's double queue, seen from our socket: what we send to it and what we receive from it.</summary>
internal sealed record PeerPipes(Pipe Outbound, Pipe Inbound);

/// <summary>
/// Something that wants the socket's one peer slot: a handshaken connection, or an inproc connector.
/// The core calls back when the slot is granted or when the wait is given up.
/// </summary>
internal interface IPeer
{
    /// <summary>For log lines: the remote address or inproc name.</summary>
    string Description { get; }

    /// <summary>The slot is ours: start moving messages through <paramref name="pipes"/>.</summary>
    void OnGranted(PeerPipes pipes);

    /// <summary>The slot will not be given (socket closing, or too many waiting): close down.</summary>
    void OnRefused(string reason);
}

/// <summary>What <see cref="PairCore.RequestSlot"/> answered; <see cref="Taken"/> only to a peer that may not wait.</summary>
internal enum SlotResult { Granted, Waiting, Refused, Taken }
