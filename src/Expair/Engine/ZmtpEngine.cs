using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// One ZMTP 3.1 connection over a connected stream socket, wiring its parts: the handshake
/// (<see cref="HandshakeDriver"/>) on the connection's own thread, which then becomes the receive loop
/// (<see cref="FrameReceiver"/>, lent to callers by <see cref="ReadLease"/>); one send thread and direct writers
/// (<see cref="SocketWriter"/>), heartbeats (<see cref="Heartbeater"/>) and one recorded reason for the end
/// (<see cref="EndReason"/>). The socket is only ever used with blocking calls (<see cref="BlockingStream"/>), so
/// .NET's event loop never watches it and no step of the connection waits for a thread-pool thread.
/// The connecting side brings its long-lived pipes; the binding side asks <see cref="PairCore"/> for the PAIR slot
/// after the peer's READY, and withholds its own READY while the slot is taken.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Run owns the engine's lifetime and disposes _stop when it ends.")]
internal sealed class ZmtpEngine : IPeer, IConnectionProbe, IProbedPeer
{
    private static readonly KeyValuePair<string, string>[] ReadyProperties = [new("Socket-Type", "PAIR")];

    private readonly Socket _socket;
    private readonly BlockingStream _io; // every read and write of the connection, from the greeting on
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

    // The first of the two traffic loops to end, and how (null: cleanly); the other was stopped because of it.
    private ExceptionDispatchInfo? _firstLoopFailure;
    private int _loopsEnded;
    private bool _trafficStarted; // the traffic phase's parts run (for the probe)

    /// <summary>The traffic phase's parts, made together when it starts.</summary>
    private sealed record Traffic(Heartbeater Heartbeater, FrameReceiver Receiver, ReadLease Lease, ReplyWait ReplyWait, SocketWriter Writer);

    public ZmtpEngine(Socket socket, string description, bool isServer, PairCore core, PeerPipes? connectPipes, SocketSettings options, SocketDiagnostics diagnostics,
        IMechanism? mechanism = null)
    {
        _socket = socket;
        _io = new BlockingStream(socket);
        Description = description;
        _isServer = isServer;
        _core = core;
        _pipes = connectPipes;
        _options = options;
        _diagnostics = diagnostics;
        // The connection owns its mechanism and disposes it; the socket's security makes one per connection.
        _mechanism = mechanism ?? options.CreateMechanism?.Invoke(ReadyProperties) ?? new NullMechanism(ReadyProperties);
        var authenticate = options.Authenticate;
        _handshake = new HandshakeDriver(_io, _buffer, _mechanism, isServer, core, this, _end, diagnostics, _stop.Token,
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
    /// 37/ZMTP says the connecting side then does not reconnect. Null otherwise; read after <see cref="Run"/>.
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
    /// Ends the connection's blocking waits: a read, write or poll in the kernel (the socket is shut down, for good,
    /// so a call made later returns at once too), a wait in line for the slot, a lent read side, or a wait on a pipe.
    /// The threads then see the stop token.
    /// </summary>
    private void WakeLoops()
    {
        _io.Abort();
        _handshake.WakeSlotWait();
        var traffic = Volatile.Read(ref _traffic);
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

    void IPeer.OnGranted(PeerPipes pipes) => _handshake.OnSlotAnswered(pipes);

    void IPeer.OnRefused(string reason) => _handshake.OnSlotAnswered(null);

    /// <summary>
    /// Runs the connection to its end on the calling thread (the connection's own) and returns why it ended. Never
    /// throws. Reports the end (disconnected, or the failure) before leaving the PAIR slot, so a waiting peer's
    /// promotion is reported after it.
    /// </summary>
    public string Run()
    {
        string? reason = null;
        try
        {
            reason = RunConnection();
            return reason;
        }
        finally
        {
            _stop.Cancel();
            CloseSocket();
            _buffer.Return(); // every read has ended: the send thread was joined, and the handshake ran here
            _mechanism.Dispose();
            if (IsHandshakeComplete)
                _diagnostics.Disconnected(Description, reason ?? _end.Value ?? "stopped");
            if (_isServer)
                _core.Detach(this); // frees the slot, or leaves the waiting line, whichever we hold
            _stop.Dispose();
        }
    }

    private string RunConnection()
    {
        try
        {
            bool granted;
            try
            {
                granted = _handshake.Run(Deadline.After(_options.HandshakeTimeout));
            }
            catch (TimeoutException)
            {
                var timeoutMs = (long)_options.HandshakeTimeout.TotalMilliseconds;
                var reason = $"handshake not completed within {timeoutMs} ms";
                if (_end.TryClaim(reason))
                    _diagnostics.HandshakeTimedOut(Description, reason, timeoutMs); // not when it was closed for another reason meanwhile
                return _end.Value ?? reason;
            }
            if (!granted)
                return _end.Value ?? "refused";
            _pipes ??= _handshake.GrantedPipes;
            IsHandshakeComplete = true;
            _diagnostics.HandshakeSucceeded(Description);
            Transfer();
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

    /// <summary>
    /// The traffic phase: frames in to the inbound pipe on this thread, the outbound pipe out to the socket on a send
    /// thread of its own. Whichever loop ends first stops the other; its outcome is the connection's.
    /// </summary>
    private void Transfer()
    {
        var token = _stop.Token;
        var pipes = _pipes!;
        _buffer.UseFullSize();
        var heartbeater = new Heartbeater(_options, _diagnostics, Description, _handshake.PeerGreeting.SupportsHeartbeats, _socket, pipes.Outbound.Readable, _end, reason => Stop(reason));
        heartbeater.Start();
        var decoder = new FrameDecoder(_options.MaxMessageSize, ReceiveBuffer.FullSize - FrameHeader.MaxSize, _mechanism);
        var receiver = new FrameReceiver(_buffer, decoder, heartbeater, _io, pipes.Inbound, token);
        var replyWait = new ReplyWait(_probe, token);
        var traffic = new Traffic(heartbeater, receiver, new ReadLease(receiver, pipes, _io, _probe, token), replyWait,
            new SocketWriter(pipes.Outbound, _io, heartbeater, replyWait, _mechanism, token));
        Interlocked.Exchange(ref _traffic, traffic); // a full fence: Stop cancels, then looks for the parts
        if (token.IsCancellationRequested)
            WakeLoops(); // Stop ran before the parts existed and could not wake the lender
        traffic.Writer.EnableDirectWrites();
        traffic.Lease.Enable();
        Volatile.Write(ref _trafficStarted, true);
        try
        {
            var send = IoThread.Start(() => RunLoop(traffic.Writer.SendLoop), "Expair send");
            RunLoop(() => ReceiveLoop(traffic, token));
            send.Join();
        }
        finally
        {
            traffic.Writer.End();
            traffic.Lease.End();
            heartbeater.Stop();
            receiver.ReleaseUndelivered();
        }
        _firstLoopFailure?.Throw();
    }

    /// <summary>
    /// Runs one traffic loop and stops the connection as it ends. The first loop to end records how it did: the
    /// other was stopped (its socket shut down under it) because of it, so its own failure does not count.
    /// </summary>
    private void RunLoop(Action loop)
    {
        try
        {
            loop();
            Interlocked.Increment(ref _loopsEnded);
        }
        catch (Exception e)
        {
            if (Interlocked.Increment(ref _loopsEnded) == 1)
                _firstLoopFailure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            Stop(_end.Value ?? "closed");
        }
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

    bool IConnectionProbe.TrafficStarted => Volatile.Read(ref _trafficStarted);

    long IConnectionProbe.CallerReads => Volatile.Read(ref _traffic)?.Lease.CallerReads ?? 0;

    bool IConnectionProbe.ReadSideLent => Volatile.Read(ref _traffic)?.Lease.IsLent ?? false;

    bool IConnectionProbe.CallerAskedToRead => Volatile.Read(ref _traffic)?.Lease.CallerAsked ?? false;

    bool IConnectionProbe.CallerHoldsReadSide => Volatile.Read(ref _traffic)?.Lease.CallerHolds ?? false;

    bool IConnectionProbe.LenderSleeps => Volatile.Read(ref _traffic)?.Lease.LenderSleeps ?? false;

    bool IConnectionProbe.BytesWaiting => Volatile.Read(ref _traffic) is not null && _io.WaitReadable(TimeSpan.Zero);

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
