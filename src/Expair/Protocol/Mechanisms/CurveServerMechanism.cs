using System.Buffers;
using Expair.Internal;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// The server's side of the CurveZMQ handshake: (HELLO) WELCOME with a cookie, (INITIATE) and, once the client's
/// long-term key is allowed, READY, or ERROR when it is denied. The cookie key is drawn per connection (as
/// libzmq does) and zeroed once INITIATE has been read; the transient secret s' lives only inside the cookie
/// between WELCOME and INITIATE (26/CurveZMQ). Short nonces: READY 1, the first MESSAGE 2.
/// </summary>
internal sealed class CurveServerMechanism : CurveMechanism
{
    private const ulong ReadyNonce = 1;

    // Secrets in one pinned buffer: s (long-term), the cookie key K, and the shared key of C' and s'.
    private readonly byte[] _secrets = Sodium.AllocateSecret(3 * KeyLength);
    private readonly byte[] _serverPublic;
    private readonly bool _authenticate;
    private readonly byte[] _clientTransientPublic = new byte[KeyLength];
    private ulong _peerNonce;
    private PeerIdentity? _identity;
    private Step _step = Step.AwaitHello;

    public CurveServerMechanism(ReadOnlySpan<byte> serverPublic, ReadOnlySpan<byte> serverSecret, bool authenticate, IReadOnlyList<KeyValuePair<string, string>> localProperties)
        : base(localProperties)
    {
        if (serverPublic.Length != KeyLength || serverSecret.Length != KeyLength)
            throw new ArgumentException($"CURVE keys are {KeyLength} bytes.");
        _serverPublic = serverPublic.ToArray();
        serverSecret.CopyTo(LongTermSecret);
        Sodium.RandomBytes(CookieKey);
        _authenticate = authenticate;
    }

    private enum Step
    {
        AwaitHello,
        SendWelcome,
        AwaitInitiate,
        Authenticating,
        SendReady,
        Done,
        Denied,
    }

    public override bool AsServer => true;

    public override PeerIdentity? Identity => _step == Step.Authenticating ? _identity : null;

    protected override CommandDue HandshakeCommandDue => _step switch
    {
        Step.SendWelcome => CommandDue.Next,
        Step.SendReady => CommandDue.Final,
        _ => CommandDue.None,
    };

    private Span<byte> LongTermSecret => _secrets.AsSpan(0, KeyLength);
    private Span<byte> CookieKey => _secrets.AsSpan(KeyLength, KeyLength);
    private Span<byte> SharedKey => _secrets.AsSpan(2 * KeyLength, KeyLength);

    protected override void WriteHandshakeCommand(IBufferWriter<byte> body)
    {
        if (_step == Step.SendWelcome)
        {
            WriteWelcome(body.GetSpan(CurveCommands.WelcomeLength));
            body.Advance(CurveCommands.WelcomeLength);
            // s is no longer needed: HELLO was opened and WELCOME boxed with it.
            Sodium.Zero(LongTermSecret);
            _step = Step.AwaitInitiate;
            return;
        }

        var length = CurveCommands.ReadyLength(MechanismCommands.MetadataLength(LocalProperties));
        CurveCommands.WriteReady(body.GetSpan(length), ReadyNonce, LocalProperties, SharedKey);
        body.Advance(length);
        StartTraffic(SharedKey, ReadyNonce + 1, _peerNonce);
        Sodium.Zero(_secrets);
        _step = Step.Done;
    }

    protected override void ReceiveHandshakeCommand(ReadOnlySpan<byte> body)
    {
        switch (_step)
        {
            case Step.AwaitHello:
                _peerNonce = CurveCommands.ReadHello(body, LongTermSecret, _clientTransientPublic);
                _step = Step.SendWelcome;
                break;
            case Step.AwaitInitiate:
                Span<byte> clientPublic = stackalloc byte[KeyLength];
                var initiate = CurveCommands.ReadInitiate(body, CookieKey, _clientTransientPublic, _serverPublic, _peerNonce, SharedKey, clientPublic);
                Sodium.Zero(CookieKey);
                _peerNonce = initiate.Nonce;
                PeerProperties = initiate.Metadata;
                _identity = new PeerIdentity(Name, UserName: null, Password: null, PublicKey: clientPublic.ToArray());
                _step = _authenticate ? Step.Authenticating : Step.SendReady;
                break;
            default:
                throw new ProtocolViolationException($"CURVE: unexpected {MechanismCommands.NameOf(body)} command (server {_step})");
        }
    }

    protected override void Authenticated() => _step = Step.SendReady;

    protected override void Denied()
    {
        _step = Step.Denied;
        Sodium.Zero(_secrets);
    }

    protected override void ZeroSecrets() => Sodium.Zero(_secrets);

    private void WriteWelcome(Span<byte> body)
    {
        // A fresh transient pair S'/s' for this connection; s' leaves only inside the cookie.
        Span<byte> transientPublic = stackalloc byte[KeyLength];
        var transientSecret = Sodium.AllocateSecret(KeyLength);
        Span<byte> nonces = stackalloc byte[2 * CurveNonce.LongLength];
        Span<byte> cookie = stackalloc byte[CurveCommands.CookieLength];
        try
        {
            Sodium.BoxKeyPair(transientPublic, transientSecret);
            Sodium.RandomBytes(nonces);
            CurveCommands.WriteCookie(cookie, nonces[..CurveNonce.LongLength], _clientTransientPublic, transientSecret, CookieKey);
            CurveCommands.WriteWelcome(body, nonces[CurveNonce.LongLength..], transientPublic, cookie, _clientTransientPublic, LongTermSecret);
        }
        finally
        {
            Sodium.Zero(transientSecret);
        }
    }
}
