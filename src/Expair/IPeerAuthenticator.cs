namespace Expair;

/// <summary>
/// Decides whether a peer that passed a PLAIN or CURVE handshake may become the socket's peer: Expair's
/// counterpart of libzmq's ZAP handler (27/ZAP), called in-process. It is called on the connecting peer's own
/// connection thread, before that connection carries messages and before the peer can take the PAIR slot, so a
/// refused peer never displaces the current one or waits in line for it; an answer that is ready at once needs no
/// thread-pool thread. An answer later than <see cref="PairSocketOptions.AuthenticationTimeout"/>, or an
/// exception, counts as a denial; the timeout cannot cut short work done before the method returns, so an
/// authenticator that has to wait (a database, a network service) should return its answer asynchronously.
/// Ready-made: <see cref="CurveAllowList"/> and <see cref="PlainCredentials"/>.
/// </summary>
public interface IPeerAuthenticator
{
    /// <summary>
    /// Answers <see cref="AuthenticationResult.Allow"/> or <see cref="AuthenticationResult.Deny"/> for one
    /// connecting peer. May be called for several connections at once.
    /// </summary>
    /// <param name="request">Who the peer is: its address, mechanism and credentials.</param>
    /// <param name="cancellationToken">Cancelled when the answer is no longer wanted (the timeout passed, or
    /// the connection or socket closed).</param>
    ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken);
}
