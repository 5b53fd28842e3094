using Expair.Protocol.Mechanisms;

namespace Expair;

/// <summary>
/// Asks a server's <see cref="IPeerAuthenticator"/> about one peer, the way the handshake driver must: on the
/// thread pool (never an I/O thread), bounded by <see cref="PairSocketOptions.AuthenticationTimeout"/>, and with
/// a late answer, an exception or a cancellation taken as a denial. A server without an authenticator (a CURVE
/// server accepting any client) never gets here: its mechanism does not pause.
/// </summary>
internal static class PeerAuthentication
{
    /// <summary>
    /// The reason put in the ERROR command sent to a denied client: 27/ZAP's status code 400, which libzmq sends
    /// and turns into an authentication-failure event on its side. The authenticator's own reason stays local.
    /// </summary>
    public const string WireDenyReason = Engine.HandshakeDriver.AuthenticationFailureStatus;

    /// <summary>The request an authenticator sees for <paramref name="identity"/> from <paramref name="peerAddress"/>.</summary>
    public static AuthenticationRequest Request(PeerIdentity identity, string peerAddress) =>
        identity.PublicKey is { } key
            ? new AuthenticationRequest(peerAddress, key)
            : new AuthenticationRequest(peerAddress, identity.UserName ?? "", identity.Password ?? "");

    /// <summary>
    /// The authenticator's answer, or a denial saying why there was none. Never throws, except
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> (the connection or the
    /// socket closing) is cancelled.
    /// </summary>
    public static async Task<AuthenticationResult> DecideAsync(IPeerAuthenticator authenticator, AuthenticationRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            // Task.Run: the authenticator's synchronous part must not run on the caller's (I/O) thread either.
            var answer = await Task.Run(() => authenticator.AuthenticateAsync(request, limit.Token).AsTask(), limit.Token)
                .WaitAsync(limit.Token).ConfigureAwait(false);
            return answer ?? AuthenticationResult.Deny("the authenticator answered null");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return AuthenticationResult.Deny($"the authenticator did not answer within {timeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return AuthenticationResult.Deny($"the authenticator threw {e.GetType().Name}: {e.Message}");
        }
    }
}
