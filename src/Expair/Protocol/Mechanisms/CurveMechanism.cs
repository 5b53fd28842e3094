using System.Buffers;
using System.Runtime.CompilerServices;
using Expair.Internal;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// CURVE (25/ZMTP-CURVE over 26/CurveZMQ): the handshake (HELLO, WELCOME, INITIATE, READY) is the client's or
/// the server's (<see cref="CurveClientMechanism"/>, <see cref="CurveServerMechanism"/>); once it is done every
/// frame travels as a MESSAGE through <see cref="CurveTraffic"/>, sent in a data frame as libzmq does.
/// Secrets live in pinned buffers and are zeroed as soon as the handshake no longer needs them, and all of
/// them on <see cref="Dispose"/>.
/// </summary>
internal abstract class CurveMechanism : IMechanism
{
    protected const int KeyLength = Sodium.KeyLength;

    private readonly IReadOnlyList<KeyValuePair<string, string>> _localProperties;
    private CurveTraffic? _traffic;
    private bool _failed;
    private string? _denyReason;

    protected CurveMechanism(IReadOnlyList<KeyValuePair<string, string>> localProperties)
    {
        Sodium.EnsureInitialized();
        _localProperties = localProperties;
    }

    /// <summary>
    /// A CURVE client of the server whose long-term public key is <paramref name="serverPublic"/>, with its own
    /// long-term pair (both copied; the secret is zeroed once INITIATE is written).
    /// </summary>
    public static CurveMechanism Client(ReadOnlySpan<byte> serverPublic, ReadOnlySpan<byte> clientPublic, ReadOnlySpan<byte> clientSecret, IReadOnlyList<KeyValuePair<string, string>> localProperties) =>
        new CurveClientMechanism(serverPublic, clientPublic, clientSecret, localProperties);

    /// <summary>
    /// A CURVE server with the long-term pair <paramref name="serverPublic"/>/<paramref name="serverSecret"/>
    /// (copied). With <paramref name="authenticate"/> it pauses after INITIATE with the client's public key as
    /// <see cref="Identity"/>; without, it accepts any client.
    /// </summary>
    public static CurveMechanism Server(ReadOnlySpan<byte> serverPublic, ReadOnlySpan<byte> serverSecret, bool authenticate, IReadOnlyList<KeyValuePair<string, string>> localProperties) =>
        new CurveServerMechanism(serverPublic, serverSecret, authenticate, localProperties);

    public string Name => "CURVE";

    /// <summary>25/ZMTP-CURVE: the server says so in its greeting (libzmq sends 0 either way and goes by its own options).</summary>
    public abstract bool AsServer { get; }

    public void CheckPeerGreeting(PeerGreeting peer) => MechanismGreeting.Check(this, peer);

    public MechanismStatus Status =>
        _failed ? MechanismStatus.Failed
        : _traffic is not null ? MechanismStatus.Ready
        : Identity is not null ? MechanismStatus.AuthenticationNeeded
        : MechanismStatus.Handshaking;

    public CommandDue CommandDue => _denyReason is not null && !_failed ? CommandDue.Next : HandshakeCommandDue;

    public void WriteCommand(IBufferWriter<byte> body)
    {
        if (_denyReason is not null && !_failed)
        {
            body.Advance(MechanismCommands.WriteError(body.GetSpan(MechanismCommands.ErrorLength(_denyReason)), _denyReason));
            _failed = true;
            ZeroSecrets();
            return;
        }
        if (HandshakeCommandDue == CommandDue.None)
            throw new InvalidOperationException("CURVE has no command due");
        WriteHandshakeCommand(body);
    }

    public void ReceiveCommand(ReadOnlySpan<byte> body)
    {
        MechanismGreeting.ThrowIfError(body);
        if (_traffic is not null || _failed)
            throw new ProtocolViolationException($"CURVE: unexpected {MechanismCommands.NameOf(body)} command after the handshake");
        ReceiveHandshakeCommand(body);
    }

    public abstract PeerIdentity? Identity { get; }

    public void CompleteAuthentication(string? denyReason)
    {
        if (Identity is null)
            throw new InvalidOperationException("CURVE is not waiting for authentication");
        if (denyReason is null)
        {
            Authenticated();
            return;
        }
        _denyReason = denyReason;
        FailureReason = $"CURVE authentication denied: {denyReason}";
        Denied();
    }

    public IReadOnlyDictionary<string, string>? PeerProperties { get; protected set; }

    public string? FailureReason { get; private set; }

    public bool TransformsFrames => true;

    [MethodImpl(HotPath.Optimized)]
    public long WrappedLength(long payloadLength) => CurveTraffic.WrappedLength(payloadLength);

    [MethodImpl(HotPath.Optimized)]
    public void WrapFrame(FrameFlags flags, ReadOnlySpan<byte> payload, Span<byte> wireBody) => Traffic.Wrap(flags, payload, wireBody);

    [MethodImpl(HotPath.Optimized)]
    public void WrapFrameAfterRoom(FrameFlags flags, Span<byte> roomAndPayload, Span<byte> wireBody) => Traffic.WrapAfterRoom(flags, roomAndPayload, wireBody);

    [MethodImpl(HotPath.Optimized)]
    public long UnwrappedLength(long wireLength) => CurveTraffic.UnwrappedLength(wireLength);

    [MethodImpl(HotPath.Optimized)]
    public int UnwrapFrame(ReadOnlySpan<byte> wireBody, Span<byte> payload, out FrameFlags flags) => Traffic.Unwrap(wireBody, payload, out flags);

    [MethodImpl(HotPath.Optimized)]
    public int UnwrapFrameAt(ReadOnlySpan<byte> wireBody, Span<byte> output, out int payloadOffset, out FrameFlags flags) =>
        Traffic.UnwrapAt(wireBody, output, out payloadOffset, out flags);

    /// <summary>Zeroes every secret: long-term copies, transient keys, the cookie key and the shared key.</summary>
    public void Dispose()
    {
        ZeroSecrets();
        _traffic?.Dispose();
    }

    /// <summary>The properties this side sends in INITIATE or READY.</summary>
    protected IReadOnlyList<KeyValuePair<string, string>> LocalProperties => _localProperties;

    /// <summary>Whether the handshake has a command to write (ignoring a pending ERROR).</summary>
    protected abstract CommandDue HandshakeCommandDue { get; }

    protected abstract void WriteHandshakeCommand(IBufferWriter<byte> body);

    protected abstract void ReceiveHandshakeCommand(ReadOnlySpan<byte> body);

    /// <summary>The authenticator allowed the identity: READY is due.</summary>
    protected virtual void Authenticated() => throw new InvalidOperationException("a CURVE client never asks for authentication");

    /// <summary>The authenticator denied the identity: ERROR is due instead of READY.</summary>
    protected virtual void Denied() => throw new InvalidOperationException("a CURVE client never asks for authentication");

    protected abstract void ZeroSecrets();

    /// <summary>The handshake is done: frames travel as MESSAGEs from now on.</summary>
    protected void StartTraffic(ReadOnlySpan<byte> sharedKey, ulong nextSendNonce, ulong lastReceivedNonce) =>
        _traffic = new CurveTraffic(sharedKey, AsServer, nextSendNonce, lastReceivedNonce);

    private CurveTraffic Traffic => _traffic ?? throw new InvalidOperationException("CURVE frames are wrapped only after the handshake");
}
