using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// One ZMTP 3.1 connection over a connected stream socket, wiring its parts: the handshake
/// (<see cref="HandshakeDriver"/>), then one receive thread (<see cref="FrameReceiver"/>, lent to callers by
/// <see cref="ReadLease"/>), one send thread and direct writers (<see cref="SocketWriter"/>), heartbeats
/// (<see cref="Heartbeater"/>) and one recorded reason for the end (<see cref="EndReason"/>).
/// The connecting side brings its long-lived pipes; the binding side asks <see cref="PairCore"/> for the PAIR slot
/// after the peer's READY, and withholds its own READY while the slot is taken.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns the engine's lifetime and disposes _stop when it ends.")]
internal sealed class ZmtpEngine : IPeer, IConnectionProbe, IProbedPeer
{
    private static readonly KeyValuePair<string, string>[] ReadyProperties = [new("Socket-Type", "PAIR")];

    private Socket _socket; // replaced once, when traffic starts (BlockingStream.LeaveEventLoop)
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly bool _isServer;
    private readonly CancellationTokenSource _stop = new();
    private readonly EndReason _end = new();
    private readonly ReceiveBuffer _buffer = new();
    private readonly ProbeSettings _probe = new();
    private readonly IMechanism _mechanism;
    private readonly HandshakeDriver _handshake;
    private PeerPipes? _pipes;
    private Traffic? _traffic; // the traffic phase's parts, once it starts

    /// <summary>The traffic phase's parts, made together when it starts.</summary>
    private sealed record Traffic(BlockingStream Io, Heartbeater Heartbeater, FrameReceiver Receiver, ReadLease Lease, ReplyWait ReplyWait, SocketWriter Writer);

    public ZmtpEngine(Socket socket, string description, bool isServer, PairCore core, PeerPipes? connectPipes, SocketSettings options, SocketDiagnostics diagnostics,
        IMechanism? mechanism = null)
    {
        _socket = socket;
        Description = description;
        _isServer = isServer;
        _core = core;
        _pipes = connectPipes;
        _options = options;
        _diagnostics = diagnostics;
        // The connection owns its mechanism and disposes it; the socket's security makes one per connection.
        _mechanism = mechanism ?? options.CreateMechanism?.Invoke(ReadyProperties) ?? new NullMechanism(ReadyProperties);
        var authenticate = options.Authenticate;
        _handshake = new HandshakeDriver(socket, _buffer, _mechanism, isServer, core, this, _end, diagnostics, _stop.Token,
            authenticate is null ? null : (identity, cancellationToken) => authenticate(identity, description, cancellationToken));
    }

    public string Description { get; }

    /// <summary>
    /// Called once the peer's READY is accepted: from then on the connection is the peer or waits for the
    /// slot, and no longer counts as a pending handshake (<see cref="PendingHandshakes"/>).
    /// </summary>
    public Action? PeerReady
    {
        get => _handshake.PeerReady;
        set => _handshake.PeerReady = value;
    }

    /// <summary>True once both READY commands were exchanged.</summary>
    public bool IsHandshakeComplete { get; private set; }

    /// <summary>
    /// Set when the handshake ended with an ERROR command, the peer's (its reason) or ours (why we refused the peer):
    /// 37/ZMTP says the connecting side then does not reconnect. Null otherwise; read after <see cref="RunAsync"/>.
    /// </summary>
    public HandshakeRefusal? Refusal { get; private set; }

    /// <summary>
    /// Stops the connection from outside (disconnect, unbind, close). True when <paramref name="reason"/> is
    /// the one recorded, false when the connection was already ending for another.
    /// </summary>
    public bool Stop(string reason)
    {
        var first = _end.TryClaim(reason);
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        WakeLoops();
        return first;
    }

    /// <summary>
    /// Ends the traffic loops' blocking waits: a read or write in the kernel (the socket is shut down), a lent read
    /// side, or a wait on a pipe. The loops then see the stop token.
    /// </summary>
    private void WakeLoops()
    {
        var traffic = Volatile.Read(ref _traffic);
        traffic?.Io.Abort();
        traffic?.Lease.WakeLender();
        var pipes = _pipes;
        pipes?.Inbound.Writable.Set();
        pipes?.Outbound.Readable.Set();
    }

    /// <summary>
    /// Records why the connection ends, unless a reason already was: true when this one is it. Claimed
    /// before the connection is stopped, so the reason is logged before the peer can see the close.
    /// </summary>
    public bool ClaimEnd(string reason) => _end.TryClaim(reason);

    /// <summary>
    /// Closes the socket at once, not when the engine's loop next runs: for a connection still in its
    /// handshake (nothing in flight), so a flood of them frees descriptors as fast as it makes them.
    /// </summary>
    public void CloseNow() => _socket.Dispose();

    void IPeer.OnGranted(PeerPipes pipes) => _handshake.OnSlotAnswered(pipes);

    void IPeer.OnRefused(string reason) => _handshake.OnSlotAnswered(null);

    /// <summary>
    /// Runs the connection to its end and returns why it ended. Never throws. Reports the end (disconnected,
    /// or the failure) before leaving the PAIR slot, so a waiting peer's promotion is reported after it.
    /// </summary>
    public async Task<string> RunAsync()
    {
        string? reason = null;
        try
        {
            reason = await RunConnectionAsync().ConfigureAwait(false);
            return reason;
        }
        finally
        {
            _stop.Cancel();
            CloseSocket();
            _buffer.Return(); // every read has completed: the loops and the handshake were awaited
            _mechanism.Dispose();
            if (IsHandshakeComplete)
                _diagnostics.Disconnected(Description, reason ?? _end.Value ?? "stopped");
            if (_isServer)
                _core.Detach(this); // frees the slot, or leaves the waiting line, whichever we hold
            _stop.Dispose();
        }
    }

    private async Task<string> RunConnectionAsync()
    {
        try
        {
            bool granted;
            using (var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                handshakeTimeout.CancelAfter(_options.HandshakeTimeout);
                try
                {
                    granted = await _handshake.RunAsync(handshakeTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    var timeoutMs = (long)_options.HandshakeTimeout.TotalMilliseconds;
                    var reason = $"handshake not completed within {timeoutMs} ms";
                    if (_end.TryClaim(reason))
                        _diagnostics.HandshakeTimedOut(Description, reason, timeoutMs); // not when it was closed for another reason meanwhile
                    return _end.Value ?? reason;
                }
            }
            if (!granted)
                return _end.Value ?? "refused";
            _pipes ??= _handshake.GrantedPipes;
            IsHandshakeComplete = true;
            _diagnostics.HandshakeSucceeded(Description);
            await TransferAsync().ConfigureAwait(false);
            return _end.Value ?? "closed";
        }
        catch (ProtocolViolationException e)
        {
            var reason = _end.Claim(e.Message);
            if (!IsHandshakeComplete && e.IsRefusal)
                Refusal = new HandshakeRefusal(e.PeerError ?? e.Message, ByPeer: e.PeerError is not null);
            _diagnostics.ConnectionFailed(Description, e.Message, IsHandshakeComplete, e.PeerError, accepted: _isServer);
            return reason;
        }
        catch (OperationCanceledException)
        {
            return _end.Value ?? "stopped";
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            return _end.Claim(e is SocketException se ? $"connection lost ({se.SocketErrorCode})" : "connection lost");
        }
    }

    /// <summary>The traffic phase: frames in to the inbound pipe, the outbound pipe out to the socket, each on its own thread.</summary>
    private async Task TransferAsync()
    {
        var token = _stop.Token;
        var pipes = _pipes!;
        _buffer.UseFullSize();
        _socket = BlockingStream.LeaveEventLoop(_socket);
        var io = new BlockingStream(_socket);
        var heartbeater = new Heartbeater(_options, _diagnostics, Description, _handshake.PeerGreeting.SupportsHeartbeats, _socket, pipes.Outbound.Readable, _end, reason => Stop(reason));
        heartbeater.Start();
        var decoder = new FrameDecoder(_options.MaxMessageSize, ReceiveBuffer.FullSize - FrameHeader.MaxSize, _mechanism);
        var receiver = new FrameReceiver(_buffer, decoder, heartbeater, io, pipes.Inbound, token);
        var replyWait = new ReplyWait(_probe, token);
        var traffic = new Traffic(io, heartbeater, receiver, new ReadLease(receiver, pipes, io, _probe, token), replyWait,
            new SocketWriter(pipes.Outbound, io, heartbeater, replyWait, _mechanism, token));
        Interlocked.Exchange(ref _traffic, traffic); // a full fence: Stop cancels, then looks for the parts
        if (token.IsCancellationRequested)
            WakeLoops(); // Stop ran before the parts existed and could not shut the socket down
        traffic.Writer.EnableDirectWrites();
        traffic.Lease.Enable();
        var receive = IoThread.Run(() => ReceiveLoop(traffic, token), "Expair receive");
        var send = IoThread.Run(traffic.Writer.SendLoop, "Expair send");
        var first = await Task.WhenAny(receive, send).ConfigureAwait(false);
        Stop(_end.Value ?? "closed");
        try
        {
            await Task.WhenAll(receive, send).ConfigureAwait(false);
        }
        catch when (first.IsCompletedSuccessfully)
        {
            // The other loop was stopped (its socket shut down under it) because this one ended: the first
            // loop's outcome is the reason.
        }
        finally
        {
            traffic.Writer.End();
            traffic.Lease.End();
            heartbeater.Stop();
            receiver.ReleaseUndelivered();
        }
        await first.ConfigureAwait(false); // rethrows the first loop's failure, if any
    }

    /// <summary>The receive thread: reads, decodes many frames per read, and hands whole messages to the inbound pipe.</summary>
    [MethodImpl(HotPath.Optimized)]
    private void ReceiveLoop(Traffic traffic, CancellationToken cancellationToken)
    {
        var receiver = traffic.Receiver;
        var lease = traffic.Lease;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // A caller reading on its own thread met the connection's end: it ends here, as if met here.
            lease.ThrowIfCallerFailed();
            if (lease.CallerSawEnd)
            {
                _end.TryClaim("peer closed the connection");
                return;
            }
            var needBytes = receiver.DecodeBuffered(callerDeadline: null);
            // What was decoded goes to the pipe at once: one publish and at most one wake-up per batch of messages.
            if (receiver.HasCompleteMessages)
                receiver.Deliver();
            // Nothing buffered and no message begun: a reply to what was just delivered may be on its way, and a
            // waiting caller may read the next message itself.
            if (needBytes && receiver.IsIdle)
            {
                AwaitReply(traffic);
                if (lease.LendToCaller())
                    continue; // callers read meanwhile: decode what they left
            }
            if (needBytes && !receiver.Fill())
            {
                _end.TryClaim("peer closed the connection");
                return;
            }
        }
    }

    /// <summary>After a large body was delivered, the receive thread waits a moment for the reply and writes it (<see cref="ReplyWait"/>).</summary>
    [MethodImpl(HotPath.Optimized)]
    private static void AwaitReply(Traffic traffic)
    {
        if (!traffic.Receiver.LargeBodyDelivered || !traffic.Writer.DirectWritesEnabled)
            return;
        traffic.Receiver.LargeBodyDelivered = false;
        var frames = traffic.ReplyWait.Await();
        if (frames > 0)
            traffic.Writer.WriteHandedOverReply(frames);
    }

    private void CloseSocket()
    {
        try
        {
            // Graceful close lets bytes already handed to the kernel reach the peer (31/EXPAIR: don't drop).
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _socket.Dispose();
    }

    IConnectionProbe IProbedPeer.Connection => this;

    long IConnectionProbe.CallerReads => Volatile.Read(ref _traffic)?.Lease.CallerReads ?? 0;

    bool IConnectionProbe.ReadSideLent => Volatile.Read(ref _traffic)?.Lease.IsLent ?? false;

    bool IConnectionProbe.CallerAskedToRead => Volatile.Read(ref _traffic)?.Lease.CallerAsked ?? false;

    bool IConnectionProbe.CallerHoldsReadSide => Volatile.Read(ref _traffic)?.Lease.CallerHolds ?? false;

    bool IConnectionProbe.LenderSleeps => Volatile.Read(ref _traffic)?.Lease.LenderSleeps ?? false;

    bool IConnectionProbe.BytesWaiting => Volatile.Read(ref _traffic)?.Io.WaitReadable(TimeSpan.Zero) == true;

    long IConnectionProbe.RepliesHandedOver => Volatile.Read(ref _traffic)?.ReplyWait.RepliesHandedOver ?? 0;

    bool IConnectionProbe.AwaitingReply => Volatile.Read(ref _traffic)?.ReplyWait.AwaitingReply ?? false;

    int IConnectionProbe.LargestReadAfterLargeBody => Volatile.Read(ref _traffic)?.Receiver.LargestReadAfterLargeBody ?? 0;

    bool IConnectionProbe.KeepLent
    {
        set => _probe.KeepLent = value;
    }

    TimeSpan IConnectionProbe.ReplyWait
    {
        set => _probe.SetReplyWait(value);
    }
}

/// <summary>A handshake that ended with ERROR: <paramref name="Reason"/> is the ERROR's reason, sent by the peer or by us.</summary>
internal sealed record HandshakeRefusal(string Reason, bool ByPeer);
