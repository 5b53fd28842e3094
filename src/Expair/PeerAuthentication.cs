using Expair.Protocol.Mechanisms;

namespace Expair;

/// <summary>
/// Asks a server's <see cref="IPeerAuthenticator"/> about one peer, the way the handshake driver must: on the
/// connection's own thread (before it carries traffic), bounded by <see cref="PairSocketOptions.AuthenticationTimeout"/>,
/// and with a late answer, an exception or a cancellation taken as a denial. A server without an authenticator (a CURVE
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
    /// socket closing) is cancelled. Runs the authenticator on the calling thread (the connection's own, never a
    /// traffic loop) and, when its answer is not ready at once, blocks that thread for it: an authenticator that
    /// answers synchronously needs no thread-pool thread.
    /// </summary>
    public static AuthenticationResult Decide(IPeerAuthenticator authenticator, AuthenticationRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var pending = authenticator.AuthenticateAsync(request, limit.Token);
            AuthenticationResult? answer;
            if (pending.IsCompleted)
            {
                answer = pending.Result;
            }
            else
            {
                var task = pending.AsTask();
                if (!task.Wait(timeout, cancellationToken))
                {
                    limit.Cancel(); // the authenticator may stop working on it
                    return TimedOut(timeout);
                }
                answer = task.Result;
            }
            return answer ?? AuthenticationResult.Deny("the authenticator answered null");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            var failure = e is AggregateException { InnerException: { } inner } ? inner : e;
            return failure is OperationCanceledException
                ? TimedOut(timeout)
                : AuthenticationResult.Deny($"the authenticator threw {failure.GetType().Name}: {failure.Message}");
        }
    }

    private static AuthenticationResult TimedOut(TimeSpan timeout) =>
        AuthenticationResult.Deny($"the authenticator did not answer within {timeout.TotalSeconds:0.###} s");
}
