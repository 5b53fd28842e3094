using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// Runs the handshake state machine (<see cref="ZmtpHandshake"/>) over the socket on the connection's own thread,
/// before the traffic loops exist: writes what it produces, feeds it what arrives, and on the binding side asks
/// <see cref="PairCore"/> for the PAIR slot once the peer is ready, holding the final command while the slot is
/// taken. Every wait is a blocking call with a deadline (poll), so nothing here needs a thread-pool thread.
/// </summary>
internal sealed class HandshakeDriver
{
    /// <summary>How often a connection waiting in line for the slot looks whether its peer left or misbehaved.</summary>
    private static readonly TimeSpan PeerCheckInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the connecting side waits for the binder's READY before it logs that it is held.</summary>
    private static readonly TimeSpan HeldNoticeAfter = TimeSpan.FromSeconds(1);

    private readonly BlockingStream _io;
    private readonly ReceiveBuffer _buffer;
    private readonly ZmtpHandshake _handshake;
    private readonly bool _isServer;
    private readonly bool _holdsFinalCommand;
    private readonly PairCore _core;
    private readonly IPeer _peer;
    private readonly EndReason _end;
    private readonly SocketDiagnostics _diagnostics;
    private readonly CancellationToken _stop;
    private readonly Func<PeerIdentity, CancellationToken, string?>? _authenticate;
    // The PAIR slot's answer (binding side), set by whoever frees or refuses the slot; waited for under the lock.
    private readonly object _slotLock = new(); // a monitor: the wait in line sleeps on it
    private bool _slotAnswered;
    private PeerPipes? _slotPipes;
    private long _heldNoticeAt = NoNotice; // Environment.TickCount64 when the held notice is due
    private const long NoNotice = -1, NoticeGiven = long.MaxValue;

    /// <summary>
    /// <paramref name="authenticate"/> is asked, on this connection's thread, when the mechanism has the peer's
    /// identity (PLAIN, CURVE as server): null allows the peer, a reason denies it. Without one, such a peer is denied.
    /// </summary>
    public HandshakeDriver(BlockingStream io, ReceiveBuffer buffer, IMechanism mechanism, bool isServer, PairCore core, IPeer peer,
        EndReason end, SocketDiagnostics diagnostics, CancellationToken stop, Func<PeerIdentity, CancellationToken, string?>? authenticate = null)
    {
        _authenticate = authenticate;
        _io = io;
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

    /// <summary>The slot was granted (<paramref name="pipes"/>) or refused (null): wakes a connection waiting in line.</summary>
    public void OnSlotAnswered(PeerPipes? pipes)
    {
        lock (_slotLock)
        {
            if (_slotAnswered)
                return;
            _slotPipes = pipes;
            _slotAnswered = true;
            Monitor.PulseAll(_slotLock);
        }
    }

    /// <summary>Wakes a wait in line for the slot, so it sees the stop (the socket's shutdown wakes the other waits).</summary>
    public void WakeSlotWait()
    {
        lock (_slotLock)
            Monitor.PulseAll(_slotLock);
    }

    /// <summary>
    /// True when the connection may carry messages; false when the PAIR slot was refused. Throws
    /// <see cref="TimeoutException"/> when the peer did not finish its part by <paramref name="deadline"/>,
    /// <see cref="OperationCanceledException"/> when the connection was stopped.
    /// </summary>
    public bool Run(Deadline deadline)
    {
        try
        {
            while (true)
            {
                _buffer.Consume(_handshake.Receive(_buffer.Buffered));
                Flush();
                // Before the peer's properties count: a CURVE server has them with the INITIATE it still has to judge.
                if (_handshake.PendingAuthentication is { } identity)
                {
                    Authenticate(identity);
                    continue;
                }
                if (_handshake.PeerProperties is not null)
                    break;
                // The client speaks first (37/ZMTP NULL); the server answers only once it has a slot for the peer.
                if (!_isServer && _handshake.Greeted && _heldNoticeAt == NoNotice)
                    _heldNoticeAt = Environment.TickCount64 + (long)HeldNoticeAfter.TotalMilliseconds;
                if (!Fill(deadline))
                    throw new ProtocolViolationException(_handshake.Greeted ? "peer closed the connection during the handshake" : "peer closed the connection during the greeting");
            }
        }
        finally
        {
            _heldNoticeAt = NoticeGiven; // no notice for a connection already gone
        }
        PeerReady?.Invoke();
        return !_isServer || TakeSlot();
    }

    /// <summary>The binding side asks for the PAIR slot, waits in line if it is taken, then sends its final command.</summary>
    private bool TakeSlot()
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
                if (!WaitForSlot())
                    return false;
                break;
        }
        lock (_slotLock)
            GrantedPipes = _slotPipes; // a granted slot answers before RequestSlot returns
        if (GrantedPipes is null)
            return false;
        // Not the handshake's deadline: time spent waiting in line does not count against the handshake.
        _handshake.ReleaseFinalCommand();
        Flush();
        return true;
    }

    /// <summary>
    /// Asks the authenticator on this thread (within its own time limit) before the peer may ask for the PAIR slot.
    /// A denied peer is sent ERROR "400" (27/ZAP's authentication failure, as libzmq sends it) and the connection
    /// fails with the authenticator's own reason, which is logged and published, never sent.
    /// </summary>
    private void Authenticate(PeerIdentity identity)
    {
        var denied = _authenticate is null ? "no authenticator configured" : _authenticate(identity, _stop);
        _stop.ThrowIfCancellationRequested();
        _handshake.Authenticate(denied is null ? null : AuthenticationFailureStatus);
        if (denied is null)
            return;
        try
        {
            Flush();
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
    private void Flush()
    {
        var output = _handshake.Output;
        try
        {
            if (output.WrittenCount > 0)
                _io.Send(output.WrittenSpan);
        }
        catch (Exception e) when (_handshake.Failure is not null && e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The peer may already be gone; the refusal stands either way.
        }
        output.ResetWrittenCount();
        if (_handshake.Failure is { } failure)
            throw failure;
    }

    /// <summary>
    /// Reads more bytes into the receive buffer, waiting at most until <paramref name="deadline"/>; logs the held
    /// notice once if it falls due meanwhile. False at end of stream.
    /// </summary>
    private bool Fill(Deadline deadline)
    {
        while (true)
        {
            _stop.ThrowIfCancellationRequested();
            var remaining = deadline.Remaining;
            if (remaining == TimeSpan.Zero)
                throw new TimeoutException();
            var wait = remaining;
            if (_heldNoticeAt is not NoNotice and not NoticeGiven)
            {
                var untilNotice = TimeSpan.FromMilliseconds(Math.Max(0, _heldNoticeAt - Environment.TickCount64));
                if (wait == Timeout.InfiniteTimeSpan || untilNotice < wait)
                    wait = untilNotice;
            }
            if (!_io.WaitReadable(wait))
            {
                NoticeIfHeld();
                continue;
            }
            var read = _io.Receive(_buffer.FreeSpace().Span);
            if (read == 0)
                _stop.ThrowIfCancellationRequested(); // the end of the stream after a stop is our own shutdown
            if (read < 0)
                continue;
            _buffer.Filled(read);
            return read > 0;
        }
    }

    /// <summary>Logs once if the server keeps us waiting for its READY, which a busy Expair PAIR binder does.</summary>
    private void NoticeIfHeld()
    {
        if (_heldNoticeAt is NoNotice or NoticeGiven || Environment.TickCount64 < _heldNoticeAt)
            return;
        var held = TimeSpan.FromMilliseconds(Environment.TickCount64 - _heldNoticeAt) + HeldNoticeAfter;
        _heldNoticeAt = NoticeGiven;
        _diagnostics.HandshakeHeld(_peer.Description, held);
    }

    /// <summary>
    /// Held in the waiting line: sleeps until the slot is answered or the connection stops, and looks at the socket
    /// every <see cref="PeerCheckInterval"/> so a peer that gives up is noticed. A peer may not send anything before
    /// our final command (37/ZMTP), so any byte from it now is a violation and ends the wait. Not bounded by the
    /// handshake's deadline: waiting in line is not a stalled handshake. False when the peer left, misbehaved, the
    /// connection was stopped or the slot refused.
    /// </summary>
    private bool WaitForSlot()
    {
        string? failure = null;
        while (failure is null)
        {
            lock (_slotLock)
            {
                if (!_slotAnswered && !_stop.IsCancellationRequested && _buffer.IsEmpty)
                    Monitor.Wait(_slotLock, PeerCheckInterval);
                if (_slotAnswered)
                    return _buffer.IsEmpty && _slotPipes is not null;
            }
            failure = _stop.IsCancellationRequested ? "peer left while waiting for the PAIR slot" : CheckPeerWhileWaiting();
        }
        var reason = _end.Claim(failure);
        _diagnostics.ConnectionFailed(_peer.Description, reason, handshakeComplete: false, peerError: null, accepted: true);
        return false;
    }

    /// <summary>Why the wait in line must end (the peer closed, or sent bytes it may not send yet); null to go on waiting.</summary>
    private string? CheckPeerWhileWaiting()
    {
        if (!_buffer.IsEmpty)
            return "peer sent data before the handshake completed";
        if (!_io.WaitReadable(TimeSpan.Zero))
            return null;
        int read;
        try
        {
            read = _io.Receive(_buffer.FreeSpace().Span);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            return $"connection lost ({e.SocketErrorCode})";
        }
        if (read > 0)
            _buffer.Filled(read);
        return read > 0 ? "peer sent data before the handshake completed" : read == 0 ? "peer left while waiting for the PAIR slot" : null;
    }
}
