using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using static Expair.Tests.Security.CurveCommandsTests;

namespace Expair.Tests.Security;

/// <summary>
/// From options to mechanisms: <see cref="SocketSecurity"/> makes each connection's mechanism, and
/// <see cref="PeerAuthentication"/> asks the authenticator the way the handshake driver will.
/// </summary>
public class PeerAuthenticationTests
{
    private const string Address = "tcp://127.0.0.1:5555";

    private sealed class Callback(Func<AuthenticationRequest, CancellationToken, ValueTask<AuthenticationResult>> answer) : IPeerAuthenticator
    {
        public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken) => answer(request, cancellationToken);
    }

    [Fact]
    public void CreateMechanism_GivesEachMechanismAndRole()
    {
        using var keys = CurveKeyPair.Generate();
        Assert.IsType<NullMechanism>(SocketSecurity.Null.CreateMechanism(PairMetadata));
        var cases = new (SocketSecurity Security, string Name, bool AsServer)[]
        {
            (SocketSecurity.CurveServer(keys, new CurveAllowList(Array.Empty<string>())), "CURVE", true),
            (SocketSecurity.CurveServerAcceptingAnyClient(keys), "CURVE", true),
            (SocketSecurity.CurveClient(keys.PublicKey, keys).ForSocket(), "CURVE", false),
            (SocketSecurity.PlainServer(new PlainCredentials([])), "PLAIN", true),
            (SocketSecurity.PlainClient("u", "p"), "PLAIN", false),
        };
        foreach (var (security, name, asServer) in cases)
        {
            using var mechanism = security.CreateMechanism(PairMetadata);
            Assert.Equal((name, asServer), (mechanism.Name, mechanism.AsServer));
        }
    }

    [Fact]
    public void CurveClientWithoutPair_GetsOneFreshPairPerSocket_ZeroedOnRelease()
    {
        var shared = SocketSecurity.CurveClient(ServerPublic);
        var socketA = Assert.IsType<CurveClientSecurity>(shared.ForSocket());
        var socketB = Assert.IsType<CurveClientSecurity>(shared.ForSocket());
        Assert.NotEqual(socketA.ClientKeys!.PublicKeyZ85, socketB.ClientKeys!.PublicKeyZ85);
        Assert.Same(socketA, socketA.ForSocket());
        socketA.ReleaseForSocket();
        Assert.Throws<ObjectDisposedException>(() => socketA.ClientKeys.SecretKey.Length);

        // A pair the application gave stays the application's.
        using var own = CurveKeyPair.Generate();
        var given = SocketSecurity.CurveClient(ServerPublic, own);
        Assert.Same(given, given.ForSocket());
        given.ReleaseForSocket();
        Assert.Equal(32, own.SecretKey.Length);
    }

    [Fact]
    public void OptionsToHandshake_CurveAllowList_AllowsTheListedClientOnly()
    {
        using var serverKeys = CurveKeyPair.FromSecretKey(CurveKeyPairTests.ServerSecret);
        using var listed = CurveKeyPair.FromSecretKey(CurveKeyPairTests.ClientSecret);
        using var stranger = CurveKeyPair.Generate();
        var server = SocketSecurity.CurveServer(serverKeys, new CurveAllowList([listed.PublicKeyZ85]));

        Assert.Null(Handshake(server, SocketSecurity.CurveClient(serverKeys.PublicKeyZ85, listed)));
        var e = Handshake(server, SocketSecurity.CurveClient(serverKeys.PublicKeyZ85, stranger));
        Assert.Equal(PeerAuthentication.WireDenyReason, e!.PeerError);
    }

    [Fact]
    public void OptionsToHandshake_PlainCredentials_AllowTheRightPasswordOnly()
    {
        var server = SocketSecurity.PlainServer(new PlainCredentials([new("admin", "secret")]));
        Assert.Null(Handshake(server, SocketSecurity.PlainClient("admin", "secret")));
        Assert.Equal("400", (Handshake(server, SocketSecurity.PlainClient("admin", "guess")))!.PeerError);
    }

    [Fact]
    public void Request_CarriesTheIdentity()
    {
        AuthenticationRequest? seen = null;
        var spy = new Callback((request, _) =>
        {
            seen = request;
            return ValueTask.FromResult(AuthenticationResult.Allow);
        });
        Assert.Null(Handshake(SocketSecurity.PlainServer(spy), SocketSecurity.PlainClient("user", "pass")));
        Assert.Equal((SecurityMechanism.Plain, "user", "pass", Address), (seen!.Mechanism, seen.UserName, seen.Password, seen.PeerAddress));

        using var serverKeys = CurveKeyPair.Generate();
        using var clientKeys = CurveKeyPair.Generate();
        Assert.Null(Handshake(SocketSecurity.CurveServer(serverKeys, spy), SocketSecurity.CurveClient(serverKeys.PublicKey, clientKeys)));
        Assert.Equal((SecurityMechanism.Curve, clientKeys.PublicKeyZ85), (seen!.Mechanism, seen.ClientPublicKeyZ85));
    }

    [Fact]
    public void SilentAuthenticator_TimesOutAsADenial()
    {
        var never = new TaskCompletionSource<AuthenticationResult>();
        var silent = new Callback((_, _) => new ValueTask<AuthenticationResult>(never.Task));
        var result = PeerAuthentication.Decide(silent, PlainRequest(), TimeSpan.FromMilliseconds(50), default);
        Assert.Equal("the authenticator did not answer within 0.05 s", result.DenyReason);
    }

    [Fact]
    public void ThrowingAuthenticator_IsADenial_WhetherItThrowsAtOnceOrLater()
    {
        var atOnce = new Callback((_, _) => throw new InvalidOperationException("database down"));
        var later = new Callback(async (_, _) =>
        {
            await Task.Yield();
            throw new TimeoutException("slow");
        });
        Assert.Equal("the authenticator threw InvalidOperationException: database down", PeerAuthentication.Decide(atOnce, PlainRequest(), TimeSpan.FromSeconds(5), default).DenyReason);
        Assert.Equal("the authenticator threw TimeoutException: slow", PeerAuthentication.Decide(later, PlainRequest(), TimeSpan.FromSeconds(5), default).DenyReason);
        var nullAnswer = new Callback((_, _) => ValueTask.FromResult<AuthenticationResult>(null!));
        Assert.Equal("the authenticator answered null", PeerAuthentication.Decide(nullAnswer, PlainRequest(), TimeSpan.FromSeconds(5), default).DenyReason);
    }

    [Fact]
    public async Task ClosingConnection_CancelsTheQuestion()
    {
        using var closing = new CancellationTokenSource();
        var tokenSeen = new TaskCompletionSource<CancellationToken>();
        var waiting = new Callback(async (_, token) =>
        {
            tokenSeen.SetResult(token);
            await Task.Delay(Timeout.Infinite, token);
            return AuthenticationResult.Allow;
        });
        // On a thread of its own, as on a connection's: the decision blocks it until answered or cancelled.
        var decision = Task.Factory.StartNew(() => PeerAuthentication.Decide(waiting, PlainRequest(), TimeSpan.FromMinutes(5), closing.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var token = await tokenSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        closing.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => decision);
        Assert.True(token.IsCancellationRequested);
    }

    [Fact]
    public void SynchronousAuthenticator_IsAnsweredOnTheCallingThread()
    {
        // The calling thread is the connection's own (before it carries traffic): an answer ready at once needs no
        // other thread, so a starved thread pool cannot hold a handshake up.
        var callerThread = 0;
        var authenticatorThread = 0;
        var spy = new Callback((_, _) =>
        {
            authenticatorThread = Environment.CurrentManagedThreadId;
            return ValueTask.FromResult(AuthenticationResult.Allow);
        });
        var io = new Thread(() =>
        {
            callerThread = Environment.CurrentManagedThreadId;
            Assert.True(PeerAuthentication.Decide(spy, PlainRequest(), TimeSpan.FromSeconds(30), default).IsAllowed);
        });
        io.Start();
        Assert.True(io.Join(TimeSpan.FromSeconds(30)));
        Assert.NotEqual(0, callerThread);
        Assert.Equal(callerThread, authenticatorThread);
    }

    private static AuthenticationRequest PlainRequest() => new(Address, "u", "p");

    /// <summary>Runs a handshake between mechanisms made from the two securities; null when it succeeds, else the client's failure.</summary>
    private static ProtocolViolationException? Handshake(SocketSecurity serverSecurity, SocketSecurity clientSecurity)
    {
        var clientForSocket = clientSecurity.ForSocket();
        using var client = clientForSocket.CreateMechanism(PairMetadata);
        using var server = serverSecurity.ForSocket().CreateMechanism(PairMetadata);
        var exchange = new MechanismExchange(client, server);
        try
        {
            exchange.Run(identity =>
            {
                var result = PeerAuthentication.Decide(serverSecurity.Authenticator!, PeerAuthentication.Request(identity, Address), TimeSpan.FromSeconds(30), default);
                return result.IsAllowed ? null : PeerAuthentication.WireDenyReason;
            });
            Assert.Equal((MechanismStatus.Ready, MechanismStatus.Ready), (client.Status, server.Status));
            return null;
        }
        catch (ProtocolViolationException e)
        {
            return e;
        }
        finally
        {
            clientForSocket.ReleaseForSocket();
        }
    }
}
