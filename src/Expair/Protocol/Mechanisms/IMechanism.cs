using System.Buffers;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// A ZMTP security mechanism (37/ZMTP "Authentication and Confidentiality"): NULL, PLAIN or CURVE, as client or
/// server. Pure: no sockets, no threads, no I/O. The handshake driver asks it for the commands it has to send,
/// hands it the commands that arrive, and after the handshake lets it wrap and unwrap every frame.
/// One instance serves one connection and is used by one thread at a time.
/// </summary>
/// <remarks>
/// The driver, not the mechanism: checks that the peer's greeting names <see cref="Name"/>, handles a received
/// ERROR command (mechanisms never see one), checks the peer's Socket-Type, asks the authenticator, and may hold
/// this side's final command (<see cref="CommandDue.Final"/>) until the PAIR slot is granted.
/// </remarks>
internal interface IMechanism : IDisposable
{
    /// <summary>The mechanism's name in the greeting: "NULL", "PLAIN" or "CURVE" (at most 20 ASCII characters).</summary>
    string Name { get; }

    /// <summary>The greeting's as-server bit for this side.</summary>
    bool AsServer { get; }

    /// <summary>
    /// Checks the peer's whole greeting once it has arrived (its mechanism name already matched
    /// <see cref="Name"/>): for example that exactly one side is the server. Throws
    /// <see cref="ProtocolViolationException"/> with the reason when the peer cannot be served.
    /// </summary>
    void CheckPeerGreeting(PeerGreeting peer);

    /// <summary>Where the handshake stands.</summary>
    MechanismStatus Status { get; }

    /// <summary>Whether a command is due to be written now, and whether it is this side's final one.</summary>
    CommandDue CommandDue { get; }

    /// <summary>
    /// Writes the due command's whole body (name length, name, data; no frame header) to
    /// <paramref name="body"/>. Only when <see cref="CommandDue"/> is not <see cref="CommandDue.None"/>.
    /// After a denied authentication this is the ERROR command, and then <see cref="Status"/> is
    /// <see cref="MechanismStatus.Failed"/>.
    /// </summary>
    void WriteCommand(IBufferWriter<byte> body);

    /// <summary>
    /// Takes one received command's whole body (name length, name, data). Malformed or unexpected input
    /// throws <see cref="ProtocolViolationException"/> with a clear reason.
    /// </summary>
    void ReceiveCommand(ReadOnlySpan<byte> body);

    /// <summary>
    /// The identity the peer claimed, while <see cref="Status"/> is <see cref="MechanismStatus.AuthenticationNeeded"/>
    /// (PLAIN: user name and password; CURVE: the client's long-term public key); null otherwise.
    /// </summary>
    PeerIdentity? Identity { get; }

    /// <summary>
    /// The authenticator's answer to <see cref="Identity"/>: null allows the peer; a reason denies it, and the
    /// next command due is ERROR with that reason. NULL never asks.
    /// </summary>
    void CompleteAuthentication(string? denyReason);

    /// <summary>The peer's metadata (37/ZMTP "Connection Metadata") once received; null before.</summary>
    IReadOnlyDictionary<string, string>? PeerProperties { get; }

    /// <summary>Why the handshake failed, once <see cref="Status"/> is <see cref="MechanismStatus.Failed"/>.</summary>
    string? FailureReason { get; }

    /// <summary>
    /// False when frames go on the wire as they are (NULL, PLAIN): the encoder and decoder then skip the
    /// methods below, so such a connection keeps every zero-copy path. True for CURVE.
    /// </summary>
    bool TransformsFrames { get; }

    /// <summary>The length of the wire body that carries a frame with a payload of <paramref name="payloadLength"/> bytes.</summary>
    long WrappedLength(long payloadLength);

    /// <summary>
    /// Writes the wire body (exactly <see cref="WrappedLength"/> bytes) carrying one frame whose real flags are
    /// <paramref name="flags"/> (<see cref="FrameFlags.More"/>, <see cref="FrameFlags.Command"/>). The encoder
    /// sends it in a data frame with neither flag set (as libzmq does for CURVE's MESSAGE).
    /// </summary>
    void WrapFrame(FrameFlags flags, ReadOnlySpan<byte> payload, Span<byte> wireBody);

    /// <summary>
    /// <see cref="WrapFrame"/> for a payload with a free byte before it: <paramref name="roomAndPayload"/>[0] may be
    /// overwritten, the payload (the rest) must be left as it is (a frame can be sent again on a later connection).
    /// </summary>
    void WrapFrameAfterRoom(FrameFlags flags, Span<byte> roomAndPayload, Span<byte> wireBody) =>
        WrapFrame(flags, roomAndPayload[1..], wireBody);

    /// <summary>The most payload bytes a wire body of <paramref name="wireLength"/> bytes can carry (checked before allocating).</summary>
    long UnwrappedLength(long wireLength);

    /// <summary>
    /// Opens one received wire body (from a data or a command frame): writes its payload to the start of
    /// <paramref name="payload"/> (which may be the same memory as <paramref name="wireBody"/>), returns the
    /// payload's length and the frame's real flags. Throws <see cref="ProtocolViolationException"/> when it does
    /// not open.
    /// </summary>
    int UnwrapFrame(ReadOnlySpan<byte> wireBody, Span<byte> payload, out FrameFlags flags);

    /// <summary>
    /// Opens one received wire body as <see cref="UnwrapFrame"/> does, but leaves the payload where it lands in
    /// <paramref name="output"/> (at least <see cref="UnwrappedLength"/> bytes, or the wire buffer itself to open
    /// it in place): returns its length, and in <paramref name="payloadOffset"/> where it starts.
    /// </summary>
    int UnwrapFrameAt(ReadOnlySpan<byte> wireBody, Span<byte> output, out int payloadOffset, out FrameFlags flags);
}

/// <summary>Where a mechanism's handshake stands.</summary>
internal enum MechanismStatus
{
    /// <summary>Commands still to write (see <see cref="IMechanism.CommandDue"/>) or to receive.</summary>
    Handshaking,

    /// <summary>The peer's identity is known and waits for <see cref="IMechanism.CompleteAuthentication"/>.</summary>
    AuthenticationNeeded,

    /// <summary>Every command both ways was exchanged: the connection carries messages.</summary>
    Ready,

    /// <summary>The handshake failed (this side sent ERROR); <see cref="IMechanism.FailureReason"/> says why.</summary>
    Failed,
}

/// <summary>Whether a mechanism has a command to write now.</summary>
internal enum CommandDue
{
    /// <summary>Nothing to write until a command arrives or authentication completes.</summary>
    None,

    /// <summary>A command that is not this side's last one of the handshake.</summary>
    Next,

    /// <summary>This side's last handshake command: the binding side may hold it until the PAIR slot is granted.</summary>
    Final,
}

/// <summary>Who the peer says it is, for the authenticator (27/ZAP's credentials).</summary>
/// <param name="Mechanism">The mechanism's name ("PLAIN", "CURVE").</param>
/// <param name="UserName">PLAIN's user name; null for other mechanisms.</param>
/// <param name="Password">PLAIN's password; null for other mechanisms.</param>
/// <param name="PublicKey">CURVE's client long-term public key (32 bytes); null for other mechanisms.</param>
internal sealed record PeerIdentity(string Mechanism, string? UserName, string? Password, byte[]? PublicKey);
