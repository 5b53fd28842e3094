using System.Buffers;
using System.Text;

namespace Expair.Protocol.Mechanisms;

/// <summary>
/// PLAIN (24/ZMTP-PLAIN): the client sends HELLO with a user name and password; the server pauses for the
/// authenticator, then answers WELCOME (or ERROR on a denial); the client sends INITIATE with its metadata and
/// the server answers READY with its own. No encryption: frames go on the wire as they are.
/// </summary>
internal sealed class PlainMechanism : IMechanism
{
    private readonly IReadOnlyList<KeyValuePair<string, string>> _localProperties;
    private readonly byte[]? _userName;
    private readonly byte[]? _password;
    private Step _step;
    private string? _denyReason;

    private PlainMechanism(bool asServer, IReadOnlyList<KeyValuePair<string, string>> localProperties, byte[]? userName, byte[]? password)
    {
        AsServer = asServer;
        _localProperties = localProperties;
        _userName = userName;
        _password = password;
        _step = asServer ? Step.AwaitHello : Step.SendHello;
    }

    private enum Step
    {
        // Client
        SendHello,
        AwaitWelcome,
        SendInitiate,
        AwaitReady,

        // Server
        AwaitHello,
        Authenticating,
        SendWelcome,
        AwaitInitiate,
        SendReady,

        // Both
        SendError,
        Done,
        Failed,
    }

    /// <summary>A PLAIN client logging in with <paramref name="userName"/> and <paramref name="password"/> (each at most 255 UTF-8 bytes).</summary>
    public static PlainMechanism Client(string userName, string password, IReadOnlyList<KeyValuePair<string, string>> localProperties)
    {
        var user = Encoding.UTF8.GetBytes(userName);
        var pass = Encoding.UTF8.GetBytes(password);
        if (user.Length > byte.MaxValue || pass.Length > byte.MaxValue)
            throw new ArgumentException("PLAIN user names and passwords are at most 255 bytes in UTF-8.");
        return new PlainMechanism(asServer: false, localProperties, user, pass);
    }

    /// <summary>A PLAIN server: after each HELLO it reports <see cref="MechanismStatus.AuthenticationNeeded"/>.</summary>
    public static PlainMechanism Server(IReadOnlyList<KeyValuePair<string, string>> localProperties) =>
        new(asServer: true, localProperties, userName: null, password: null);

    public string Name => "PLAIN";

    /// <summary>24/ZMTP-PLAIN: the server says so in its greeting (libzmq sends 0 either way and goes by its own options).</summary>
    public bool AsServer { get; }

    public void CheckPeerGreeting(PeerGreeting peer) => MechanismGreeting.Check(this, peer);

    public MechanismStatus Status => _step switch
    {
        Step.Authenticating => MechanismStatus.AuthenticationNeeded,
        Step.Done => MechanismStatus.Ready,
        Step.Failed => MechanismStatus.Failed,
        _ => MechanismStatus.Handshaking,
    };

    public CommandDue CommandDue => _step switch
    {
        Step.SendHello or Step.SendWelcome or Step.SendError => CommandDue.Next,
        Step.SendInitiate or Step.SendReady => CommandDue.Final,
        _ => CommandDue.None,
    };

    public void WriteCommand(IBufferWriter<byte> body)
    {
        switch (_step)
        {
            case Step.SendHello:
                var helloLength = PlainCommands.HelloLength(_userName, _password);
                body.Advance(PlainCommands.WriteHello(body.GetSpan(helloLength), _userName, _password));
                _step = Step.AwaitWelcome;
                break;
            case Step.SendWelcome:
                body.Advance(PlainCommands.WriteWelcome(body.GetSpan(PlainCommands.WelcomeLength)));
                _step = Step.AwaitInitiate;
                break;
            case Step.SendInitiate:
                WriteMetadataCommand(body, PlainCommands.Initiate);
                _step = Step.AwaitReady;
                break;
            case Step.SendReady:
                WriteMetadataCommand(body, PlainCommands.Ready);
                _step = Step.Done;
                break;
            case Step.SendError:
                body.Advance(MechanismCommands.WriteError(body.GetSpan(MechanismCommands.ErrorLength(_denyReason!)), _denyReason!));
                _step = Step.Failed;
                break;
            default:
                throw new InvalidOperationException($"PLAIN has no command due ({_step})");
        }
    }

    public void ReceiveCommand(ReadOnlySpan<byte> body)
    {
        MechanismGreeting.ThrowIfError(body);
        switch (_step)
        {
            case Step.AwaitHello:
                var (userName, password) = PlainCommands.ReadHello(body);
                Identity = new PeerIdentity(Name, userName, password, PublicKey: null);
                _step = Step.Authenticating;
                break;
            case Step.AwaitWelcome:
                PlainCommands.ReadWelcome(body);
                _step = Step.SendInitiate;
                break;
            case Step.AwaitInitiate:
                PeerProperties = PlainCommands.ReadMetadataCommand(body, PlainCommands.Initiate);
                _step = Step.SendReady;
                break;
            case Step.AwaitReady:
                PeerProperties = PlainCommands.ReadMetadataCommand(body, PlainCommands.Ready);
                _step = Step.Done;
                break;
            default:
                throw new ProtocolViolationException($"PLAIN: unexpected {MechanismCommands.NameOf(body)} command ({(AsServer ? "server" : "client")} {_step})");
        }
    }

    public PeerIdentity? Identity { get => _step == Step.Authenticating ? field : null; private set; }

    public void CompleteAuthentication(string? denyReason)
    {
        if (_step != Step.Authenticating)
            throw new InvalidOperationException($"PLAIN is not waiting for authentication ({_step})");
        _denyReason = denyReason;
        FailureReason = denyReason is null ? null : $"PLAIN authentication denied: {denyReason}";
        _step = denyReason is null ? Step.SendWelcome : Step.SendError;
    }

    public IReadOnlyDictionary<string, string>? PeerProperties { get; private set; }

    public string? FailureReason { get; private set; }

    public bool TransformsFrames => false;

    // PLAIN sends frames as they are (TransformsFrames is false), so the encoder and decoder never call these.
    public long WrappedLength(long payloadLength) => throw NoTransform();

    public void WrapFrame(FrameFlags flags, ReadOnlySpan<byte> payload, Span<byte> wireBody) => throw NoTransform();

    public long UnwrappedLength(long wireLength) => throw NoTransform();

    public int UnwrapFrame(ReadOnlySpan<byte> wireBody, Span<byte> payload, out FrameFlags flags) => throw NoTransform();

    public int UnwrapFrameAt(ReadOnlySpan<byte> wireBody, Span<byte> output, out int payloadOffset, out FrameFlags flags) => throw NoTransform();

    /// <summary>Forgets the password (PLAIN's only secret; it travels in clear text anyway).</summary>
    public void Dispose()
    {
        Internal.Sodium.Zero(_password);
        Identity = null;
    }

    private static InvalidOperationException NoTransform() => new("PLAIN does not transform frames (TransformsFrames is false)");

    private void WriteMetadataCommand(IBufferWriter<byte> body, string name)
    {
        var length = PlainCommands.MetadataCommandLength(name, _localProperties);
        body.Advance(PlainCommands.WriteMetadataCommand(body.GetSpan(length), name, _localProperties));
    }
}
