using System.Buffers;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// The NULL mechanism (37/ZMTP "The NULL Security Mechanism"): each side sends one READY with its metadata and
/// receives the peer's. No authentication, no secrets, frames go on the wire as they are.
/// </summary>
internal sealed class NullMechanism(IReadOnlyList<KeyValuePair<string, string>> localProperties) : IMechanism
{
    private bool _readySent;

    public string Name => "NULL";

    /// <summary>37/ZMTP: NULL ignores the as-server bit; both sides send zero.</summary>
    public bool AsServer => false;

    public void CheckPeerGreeting(PeerGreeting peer)
    {
    }

    public MechanismStatus Status => _readySent && PeerProperties is not null ? MechanismStatus.Ready : MechanismStatus.Handshaking;

    /// <summary>READY is both the first and the last command NULL sends.</summary>
    public CommandDue CommandDue => _readySent ? CommandDue.None : CommandDue.Final;

    public void WriteCommand(IBufferWriter<byte> body)
    {
        if (_readySent)
            throw new InvalidOperationException("NULL has no command due");
        var length = Commands.ReadyBodyLength(localProperties);
        body.Advance(Commands.WriteReadyBody(body.GetSpan(length), localProperties));
        _readySent = true;
    }

    public void ReceiveCommand(ReadOnlySpan<byte> body)
    {
        if (!Commands.TryParse(body, out var name, out var data))
            throw new ProtocolViolationException("malformed command during the handshake");
        if (PeerProperties is not null || !Commands.IsNamed(name, Commands.Ready))
            throw new ProtocolViolationException("expected READY during the handshake");
        if (!Commands.TryParseMetadata(data, out var properties))
            throw new ProtocolViolationException("malformed READY metadata");
        PeerProperties = properties;
    }

    public PeerIdentity? Identity => null;

    public void CompleteAuthentication(string? denyReason) =>
        throw new InvalidOperationException("NULL never asks for authentication");

    public IReadOnlyDictionary<string, string>? PeerProperties { get; private set; }

    public string? FailureReason => null;

    public bool TransformsFrames => false;

    public long WrappedLength(long payloadLength) => payloadLength;

    public void WrapFrame(FrameFlags flags, ReadOnlySpan<byte> payload, Span<byte> wireBody) => payload.CopyTo(wireBody);

    public long UnwrappedLength(long wireLength) => wireLength;

    public int UnwrapFrame(ReadOnlySpan<byte> wireBody, Span<byte> payload, out FrameFlags flags)
    {
        flags = FrameFlags.None;
        wireBody.CopyTo(payload);
        return wireBody.Length;
    }

    public int UnwrapFrameAt(ReadOnlySpan<byte> wireBody, Span<byte> output, out int payloadOffset, out FrameFlags flags)
    {
        payloadOffset = 0;
        return UnwrapFrame(wireBody, output, out flags);
    }

    /// <summary>NULL holds no secrets.</summary>
    public void Dispose()
    {
    }
}
