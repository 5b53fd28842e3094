using System.Buffers;
using Expair.Protocol.Mechanisms;

namespace Expair.Protocol;

/// <summary>
/// The ZMTP 3 handshake (37/ZMTP "Connection Setup") as a state machine with no I/O: bytes in through
/// <see cref="Receive"/>; bytes to write in <see cref="Output"/>; the peer's greeting and properties out. The
/// mechanism produces and consumes the commands; this type checks the greeting, the frames that carry the commands,
/// a received ERROR and the peer's Socket-Type, and holds this side's final command while told to (the binding side,
/// until the PAIR slot is granted).
/// </summary>
internal sealed class ZmtpHandshake
{
    private readonly IMechanism _mechanism;
    private readonly int _maxCommandSize;
    private readonly ArrayBufferWriter<byte> _command = new();
    private bool _greeted;
    private bool _holdFinal;

    /// <param name="mechanism">Produces and consumes the handshake's commands.</param>
    /// <param name="holdFinalCommand">Keep this side's final command back until <see cref="ReleaseFinalCommand"/>.</param>
    /// <param name="maxCommandSize">The largest command body accepted.</param>
    public ZmtpHandshake(IMechanism mechanism, bool holdFinalCommand, int maxCommandSize)
    {
        _mechanism = mechanism;
        _holdFinal = holdFinalCommand;
        _maxCommandSize = maxCommandSize;
        Greeting.Write(Output.GetSpan(Greeting.Size), mechanism.Name, mechanism.AsServer);
        Output.Advance(Greeting.Size);
    }

    /// <summary>Bytes to write to the peer, in order; the driver writes them and then clears this.</summary>
    public ArrayBufferWriter<byte> Output { get; } = new();

    /// <summary>True once the peer's greeting arrived and was accepted.</summary>
    public bool Greeted => _greeted;

    /// <summary>The peer's greeting, once it has arrived.</summary>
    public PeerGreeting PeerGreeting { get; private set; }

    /// <summary>The peer's properties once its final command arrived and its Socket-Type was accepted; null before.</summary>
    public IReadOnlyDictionary<string, string>? PeerProperties { get; private set; }

    /// <summary>True while this side's final command is held back (the peer is ready, the slot not yet granted).</summary>
    public bool FinalCommandHeld => _holdFinal && _mechanism.CommandDue == CommandDue.Final;

    /// <summary>True once every command both ways was exchanged: the bytes after it are traffic.</summary>
    public bool IsComplete => _mechanism.Status == MechanismStatus.Ready && PeerProperties is not null;

    /// <summary>
    /// Set when the handshake failed after writing an ERROR to <see cref="Output"/>: the driver writes the output,
    /// then throws this.
    /// </summary>
    public ProtocolViolationException? Failure { get; private set; }

    /// <summary>
    /// Takes what has arrived and returns how many bytes of it were used; bytes after the peer's final command are
    /// left for the traffic phase. Throws <see cref="ProtocolViolationException"/> when the peer breaks the protocol.
    /// </summary>
    public int Receive(ReadOnlySpan<byte> received)
    {
        var consumed = 0;
        if (!_greeted)
        {
            if (!CheckGreeting(received))
                return 0;
            consumed = Greeting.Size;
            WriteDueCommands();
        }
        while (Failure is null && PeerProperties is null && _mechanism.Status != MechanismStatus.AuthenticationNeeded)
        {
            var used = ReceiveCommand(received[consumed..]);
            if (used == 0)
                break;
            consumed += used;
            WriteDueCommands();
        }
        return consumed;
    }

    /// <summary>The PAIR slot is granted: the final command goes out.</summary>
    public void ReleaseFinalCommand()
    {
        _holdFinal = false;
        WriteDueCommands();
    }

    /// <summary>The authenticator answered (null allows); the mechanism's next command goes out.</summary>
    public void Authenticate(string? denyReason)
    {
        _mechanism.CompleteAuthentication(denyReason);
        WriteDueCommands();
    }

    /// <summary>The identity to authenticate while the mechanism waits for it; null otherwise.</summary>
    public PeerIdentity? PendingAuthentication =>
        _mechanism.Status == MechanismStatus.AuthenticationNeeded ? _mechanism.Identity : null;

    private bool CheckGreeting(ReadOnlySpan<byte> received)
    {
        var status = Greeting.Check(received, out var peer);
        if (status == GreetingStatus.NotZmtp3)
            throw new ProtocolViolationException("not a ZMTP 3 peer (bad greeting signature)");
        if (status == GreetingStatus.OldVersion)
            throw new ProtocolViolationException($"peer speaks ZMTP {received[10]}.x; Expair needs ZMTP 3.0 or later");
        if (status != GreetingStatus.Complete)
            return false;
        if (peer.Mechanism != _mechanism.Name)
            throw new ProtocolViolationException($"security mechanism mismatch: peer uses {peer.Mechanism}, this socket uses {_mechanism.Name}");
        _mechanism.CheckPeerGreeting(peer);
        PeerGreeting = peer;
        _greeted = true;
        return true;
    }

    /// <summary>Takes one whole command frame; 0 when it has not all arrived.</summary>
    private int ReceiveCommand(ReadOnlySpan<byte> received)
    {
        var status = FrameHeader.TryParse(received, _maxCommandSize, out var header);
        if (status == OperationStatus.InvalidData)
            throw new ProtocolViolationException("malformed frame during the handshake");
        if (status == OperationStatus.DestinationTooSmall)
            throw new ProtocolViolationException("handshake command too large");
        if (status == OperationStatus.NeedMoreData || received.Length < header.HeaderLength + header.BodyLength)
            return 0;
        if (!header.IsCommand)
            throw new ProtocolViolationException("peer sent a message before completing the handshake");
        var body = received.Slice(header.HeaderLength, (int)header.BodyLength);
        // Before the name is parsed: libzmq 4.3.4's PLAIN server names its ERROR 0x5E "RROR" (MechanismCommands.IsError).
        if (MechanismCommands.IsError(body, out var peerReason))
            throw ProtocolViolationException.FromPeerError(peerReason);
        if (!Commands.TryParse(body, out _, out _))
            throw new ProtocolViolationException("malformed command during the handshake");
        _mechanism.ReceiveCommand(body);
        if (_mechanism.PeerProperties is { } properties)
            AcceptPeer(properties);
        return header.HeaderLength + body.Length;
    }

    /// <summary>The driver, not the mechanism, checks the peer's Socket-Type (a PAIR socket only talks to PAIR).</summary>
    private void AcceptPeer(IReadOnlyDictionary<string, string> properties)
    {
        properties.TryGetValue("Socket-Type", out var socketType);
        if (string.Equals(socketType, "PAIR", StringComparison.Ordinal))
        {
            PeerProperties = properties;
            return;
        }
        WriteError("Invalid socket type");
        Failure = new ProtocolViolationException($"Invalid socket type: peer socket type is {socketType ?? "(none)"}; a PAIR socket only talks to PAIR") { SentError = true };
    }

    /// <summary>Writes every command the mechanism has due, except a held final one.</summary>
    private void WriteDueCommands()
    {
        while (Failure is null && _mechanism.CommandDue is var due && due != CommandDue.None && !(due == CommandDue.Final && _holdFinal))
        {
            _command.ResetWrittenCount();
            _mechanism.WriteCommand(_command);
            var body = _command.WrittenSpan;
            var span = Output.GetSpan(FrameHeader.MaxSize + body.Length);
            var header = FrameHeader.Write(span, body.Length, more: false, command: true);
            body.CopyTo(span[header..]);
            Output.Advance(header + body.Length);
            if (_mechanism.Status == MechanismStatus.Failed)
                Failure = new ProtocolViolationException(_mechanism.FailureReason ?? "handshake failed") { SentError = true };
        }
    }

    private void WriteError(string reason)
    {
        var span = Output.GetSpan(FrameHeader.MaxSize + 7 + 256);
        Output.Advance(Commands.WriteError(span, reason));
    }
}
