using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Engine;

/// <summary>
/// Runs the handshake state machine (<see cref="ZmtpHandshake"/>) over the socket, before the traffic threads
/// exist: writes what it produces, feeds it what arrives, and on the binding side asks <see cref="PairCore"/> for the
/// PAIR slot once the peer is ready, holding the final command while the slot is taken.
/// </summary>
internal sealed class HandshakeDriver
{
    private readonly Socket _socket;
    private readonly ReceiveBuffer _buffer;
    private readonly ZmtpHandshake _handshake;
    private readonly bool _isServer;
    private readonly bool _holdsFinalCommand;
    private readonly PairCore _core;
    private readonly IPeer _peer;
    private readonly EndReason _end;
    private readonly SocketDiagnostics _diagnostics;
    private readonly CancellationToken _stop;
    private readonly Func<PeerIdentity, CancellationToken, ValueTask<string?>>? _authenticate;
    private readonly TaskCompletionSource<PeerPipes?> _slot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _peerAnswered; // its final command arrived, or the handshake failed before it did

    /// <summary>
    /// <paramref name="authenticate"/> is asked when the mechanism has the peer's identity (PLAIN, CURVE as server):
    /// null allows the peer, a reason denies it. Without one, such a peer is denied.
    /// </summary>
    public HandshakeDriver(Socket socket, ReceiveBuffer buffer, IMechanism mechanism, bool isServer, PairCore core, IPeer peer,
        EndReason end, SocketDiagnostics diagnostics, CancellationToken stop, Func<PeerIdentity, CancellationToken, ValueTask<string?>>? authenticate = null)
    {
        _authenticate = authenticate;
        _socket = socket;
        _buffer = buffer;
        // The binding side holds its final command while the slot is taken, when that command follows the peer's
        // (NULL's READY, a PLAIN or CURVE server's READY). A binding mechanism client's final command (INITIATE)
        // comes before the peer's READY: it cannot be held, and such a connection cannot wait in line.
        _holdsFinalCommand = isServer && (mechanism.AsServer || mechanism is NullMechanism);
        _handshake = new ZmtpHandshake(mechanism, _holdsFinalCommand, ReceiveBuffer.FullSize - FrameHeader.MaxSize);
        _isServer = isServer;
        _core = core;
        _peer = peer;
        _end = end;
        _diagnostics = diagnostics;
        _stop = stop;
    }

    /// <summary>Called once the peer's final command is accepted (see <see cref="ZmtpEngine.PeerReady"/>).</summary>
    public Action? PeerReady { get; set; }

    /// <summary>The peer's greeting (valid once the handshake ran).</summary>
    public PeerGreeting PeerGreeting => _handshake.PeerGreeting;

    /// <summary>The pipes the slot brought (binding side).</summary>
    public PeerPipes? GrantedPipes { get; private set; }

    public void OnSlotAnswered(PeerPipes? pipes) => _slot.TrySetResult(pipes);

    /// <summary>True when the connection may carry messages; false when the PAIR slot was refused.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        Timer? heldNotice = null;
        try
        {
            while (true)
            {
                _buffer.Consume(_handshake.Receive(_buffer.Buffered));
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                // Before the peer's properties count: a CURVE server has them with the INITIATE it still has to judge.
                if (_handshake.PendingAuthentication is { } identity)
                {
                    await AuthenticateAsync(identity, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (_handshake.PeerProperties is not null)
                    break;
                // The client speaks first (37/ZMTP NULL); the server answers only once it has a slot for the peer.
                if (!_isServer && _handshake.Greeted)
                    heldNotice ??= StartHeldNotice(cancellationToken);
                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                    throw new ProtocolViolationException(_handshake.Greeted ? "peer closed the connection during the handshake" : "peer closed the connection during the greeting");
            }
        }
        finally
        {
            // Also when the handshake failed: no notice for a connection already gone (nor from a callback already queued).
            _peerAnswered = true;
            heldNotice?.Dispose();
        }
        PeerReady?.Invoke();

        if (_isServer)
        {
            // A binding mechanism client sent its final command already: it cannot hold the peer, so never queues it.
            switch (_core.RequestSlot(_peer, mayWait: _holdsFinalCommand))
            {
                case SlotResult.Refused:
                    _end.TryClaim("PAIR socket already has a peer and too many are waiting");
                    return false;
                case SlotResult.Taken:
                    var reason = _end.Claim("PAIR socket already has a peer, and a binding PLAIN or CURVE client cannot keep one waiting");
                    _diagnostics.ConnectionFailed(_peer.Description, reason, handshakeComplete: false, peerError: null, accepted: true);
                    return false;
                case SlotResult.Waiting:
                    if (!await WaitForSlotAsync().ConfigureAwait(false))
                        return false;
                    break;
            }
            GrantedPipes = await _slot.Task.ConfigureAwait(false);
            if (GrantedPipes is null)
                return false;
            // Not the handshake timer: time spent waiting in line does not count against the handshake.
            _handshake.ReleaseFinalCommand();
            await FlushAsync(_stop).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>
    /// Asks the authenticator (off the I/O threads, within the handshake's time) before the peer may ask for the
    /// PAIR slot. A denied peer is sent ERROR "400" (27/ZAP's authentication failure, as libzmq sends it) and the
    /// connection fails with the authenticator's own reason, which is logged and published, never sent.
    /// </summary>
    private async Task AuthenticateAsync(PeerIdentity identity, CancellationToken cancellationToken)
    {
        var denied = _authenticate is null ? "no authenticator configured"
            : await _authenticate(identity, cancellationToken).ConfigureAwait(false);
        _handshake.Authenticate(denied is null ? null : AuthenticationFailureStatus);
        if (denied is null)
            return;
        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ProtocolViolationException)
        {
            // The ERROR is written: the reason that counts is the authenticator's.
        }
        throw new ProtocolViolationException($"{identity.Mechanism} authentication denied: {denied}");
    }

    /// <summary>The reason a denied peer's ERROR carries: 27/ZAP's status code for an authentication failure.</summary>
    public const string AuthenticationFailureStatus = "400";

    /// <summary>Writes what the handshake produced; after a failure it has written ERROR, and the failure is thrown.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var output = _handshake.Output;
        try
        {
            var bytes = output.WrittenMemory;
            while (!bytes.IsEmpty)
                bytes = bytes[await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
        }
        catch (Exception e) when (_handshake.Failure is not null && e is SocketException or ObjectDisposedException)
        {
            // The peer may already be gone; the refusal stands either way.
        }
        output.ResetWrittenCount();
        if (_handshake.Failure is { } failure)
            throw failure;
    }

    /// <summary>Reads more bytes into the receive buffer. False at end of stream.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        var read = await _socket.ReceiveAsync(_buffer.FreeSpace(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        _buffer.Filled(read);
        return read > 0;
    }

    /// <summary>Logs once if the server keeps us waiting for its READY, which a busy Expair PAIR binder does.</summary>
    private Timer StartHeldNotice(CancellationToken cancellationToken)
    {
        var started = Environment.TickCount64;
        return new Timer(_ =>
        {
            if (!cancellationToken.IsCancellationRequested && !_peerAnswered)
                _diagnostics.HandshakeHeld(_peer.Description, TimeSpan.FromMilliseconds(Environment.TickCount64 - started));
        }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Held in the waiting line: keeps reading so a peer that gives up is noticed at once. A peer may not send
    /// anything before our final command (37/ZMTP), so any byte from it now is a violation and ends the wait.
    /// False when the peer left, misbehaved, or the socket refused us.
    /// </summary>
    private async Task<bool> WaitForSlotAsync()
    {
        using var waitEnded = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        // Waiting in line is not a stalled handshake: only our own stop ends it, not the handshake timer.
        var reading = WatchForCloseAsync(waitEnded.Token);
        var first = await Task.WhenAny(_slot.Task, reading).ConfigureAwait(false);
        if (first == reading)
        {
            var reason = _end.Claim(reading.IsFaulted ? reading.Exception.InnerException!.Message : "peer left while waiting for the PAIR slot");
            _diagnostics.ConnectionFailed(_peer.Description, reason, handshakeComplete: false, peerError: null, accepted: true);
            return false;
        }
        await waitEnded.CancelAsync().ConfigureAwait(false);
        try
        {
            await reading.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return _buffer.IsEmpty && _slot.Task.Result is not null;
    }

    private async Task WatchForCloseAsync(CancellationToken cancellationToken)
    {
        if (_buffer.IsEmpty && !await FillAsync(cancellationToken).ConfigureAwait(false))
            return;
        throw new ProtocolViolationException("peer sent data before the handshake completed");
    }
}
