using System.Buffers;
using Expair.Internal;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// The client's side of the CurveZMQ handshake: HELLO, then (WELCOME) INITIATE with the vouch, then (READY).
/// Short nonces as libzmq counts them: HELLO 1, INITIATE 2, the first MESSAGE 3.
/// </summary>
internal sealed class CurveClientMechanism : CurveMechanism
{
    private const ulong HelloNonce = 1;
    private const ulong InitiateNonce = 2;

    // Secrets in one pinned buffer: c (long-term), c' (transient), and the shared key of c' and S'.
    private readonly byte[] _secrets = Sodium.AllocateSecret(3 * KeyLength);
    private readonly byte[] _serverPublic;
    private readonly byte[] _clientPublic;
    private readonly byte[] _transientPublic = new byte[KeyLength];
    private readonly byte[] _serverTransientPublic = new byte[KeyLength];
    private readonly byte[] _cookie = new byte[CurveCommands.CookieLength];
    private Step _step = Step.SendHello;

    public CurveClientMechanism(ReadOnlySpan<byte> serverPublic, ReadOnlySpan<byte> clientPublic, ReadOnlySpan<byte> clientSecret, IReadOnlyList<KeyValuePair<string, string>> localProperties)
        : base(localProperties)
    {
        if (serverPublic.Length != KeyLength || clientPublic.Length != KeyLength || clientSecret.Length != KeyLength)
            throw new ArgumentException($"CURVE keys are {KeyLength} bytes.");
        _serverPublic = serverPublic.ToArray();
        _clientPublic = clientPublic.ToArray();
        clientSecret.CopyTo(LongTermSecret);
        Sodium.BoxKeyPair(_transientPublic, TransientSecret);
    }

    private enum Step
    {
        SendHello,
        AwaitWelcome,
        SendInitiate,
        AwaitReady,
        Done,
    }

    public override bool AsServer => false;

    public override PeerIdentity? Identity => null;

    protected override CommandDue HandshakeCommandDue => _step switch
    {
        Step.SendHello => CommandDue.Next,
        Step.SendInitiate => CommandDue.Final,
        _ => CommandDue.None,
    };

    private Span<byte> LongTermSecret => _secrets.AsSpan(0, KeyLength);
    private Span<byte> TransientSecret => _secrets.AsSpan(KeyLength, KeyLength);
    private Span<byte> SharedKey => _secrets.AsSpan(2 * KeyLength, KeyLength);

    protected override void WriteHandshakeCommand(IBufferWriter<byte> body)
    {
        if (_step == Step.SendHello)
        {
            CurveCommands.WriteHello(body.GetSpan(CurveCommands.HelloLength), _transientPublic, TransientSecret, _serverPublic, HelloNonce);
            body.Advance(CurveCommands.HelloLength);
            _step = Step.AwaitWelcome;
            return;
        }

        Span<byte> vouchNonce = stackalloc byte[CurveNonce.LongLength];
        Sodium.RandomBytes(vouchNonce);
        Span<byte> vouch = stackalloc byte[CurveCommands.VouchLength];
        CurveCommands.WriteVouch(vouch, vouchNonce, _transientPublic, _serverPublic, _serverTransientPublic, LongTermSecret);
        var length = CurveCommands.InitiateLength(MechanismCommands.MetadataLength(LocalProperties));
        CurveCommands.WriteInitiate(body.GetSpan(length), _cookie, InitiateNonce, _clientPublic, vouch, LocalProperties, SharedKey);
        body.Advance(length);
        // c is no longer needed: only the shared key is used from here on.
        Sodium.Zero(LongTermSecret);
        _step = Step.AwaitReady;
    }

    protected override void ReceiveHandshakeCommand(ReadOnlySpan<byte> body)
    {
        switch (_step)
        {
            case Step.AwaitWelcome:
                CurveCommands.ReadWelcome(body, _serverPublic, TransientSecret, _serverTransientPublic, _cookie);
                if (!Sodium.BoxBeforeNm(SharedKey, _serverTransientPublic, TransientSecret))
                    throw new ProtocolViolationException("CURVE WELCOME: the server's transient key is not a usable Curve25519 key");
                Sodium.Zero(TransientSecret);
                _step = Step.SendInitiate;
                break;
            case Step.AwaitReady:
                var (nonce, metadata) = CurveCommands.ReadReady(body, SharedKey);
                PeerProperties = metadata;
                StartTraffic(SharedKey, InitiateNonce + 1, nonce);
                Sodium.Zero(_secrets);
                _step = Step.Done;
                break;
            default:
                throw new ProtocolViolationException($"CURVE: unexpected {MechanismCommands.NameOf(body)} command (client {_step})");
        }
    }

    protected override void ZeroSecrets() => Sodium.Zero(_secrets);
}
