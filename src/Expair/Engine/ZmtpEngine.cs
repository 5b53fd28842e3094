using System.Buffers;
using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// Runs one ZMTP 3.1 connection (NULL mechanism) over a connected stream socket and moves whole messages
/// between it and the peer's pipes: one receive loop, one send loop, one recorded reason for the end.
/// The connecting side brings its long-lived pipes; the binding side asks <see cref="PairCore"/> for the
/// PAIR slot after the peer's READY, and withholds its own READY while the slot is taken.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns the engine's lifetime and disposes _stop when it ends.")]
internal sealed partial class ZmtpEngine : IPeer
{
    private const int ReceiveBufferSize = 64 * 1024;

    /// <summary>
    /// What a connection reads into until its handshake is done: a greeting (64 bytes) and a READY fit. A
    /// flood of connections that never finish the handshake then costs a few hundred bytes each, not 64 KiB.
    /// </summary>
    private const int HandshakeBufferSize = 512;

    private Socket _socket; // replaced once, when traffic starts (BlockingStream.LeaveEventLoop)
    private readonly PairCore _core;
    private readonly PairSocketOptions _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly bool _isServer;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<PeerPipes?> _slot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private BlockingStream? _io; // the traffic phase's socket calls, made from the loops' own threads
    private byte[] _receiveBuffer = new byte[HandshakeBufferSize];
    private bool _receiveBufferRented;
    private int _receiveStart;
    private int _receiveEnd;
    private PeerPipes? _pipes;
    private bool _peerSupportsHeartbeats;
    private string? _endReason;

    public ZmtpEngine(Socket socket, string description, bool isServer, PairCore core, PeerPipes? connectPipes, PairSocketOptions options, SocketDiagnostics diagnostics)
    {
        _socket = socket;
        Description = description;
        _isServer = isServer;
        _core = core;
        _pipes = connectPipes;
        _options = options;
        _diagnostics = diagnostics;
    }

    public string Description { get; }

    /// <summary>
    /// Called once the peer's READY is accepted: from then on the connection is the peer or waits for the
    /// slot, and no longer counts as a pending handshake (<see cref="PendingHandshakes"/>).
    /// </summary>
    public Action? PeerReady { get; set; }

    /// <summary>True once both READY commands were exchanged.</summary>
    public bool IsHandshakeComplete { get; private set; }

    /// <summary>
    /// Stops the connection from outside (disconnect, unbind, close). True when <paramref name="reason"/> is
    /// the one recorded, false when the connection was already ending for another.
    /// </summary>
    public bool Stop(string reason)
    {
        var first = ClaimEnd(reason);
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
    /// Ends the traffic loops' blocking waits: a read or write in the kernel (the socket is shut down) or a
    /// wait on a pipe. The loops then see the stop token.
    /// </summary>
    private void WakeLoops()
    {
        Volatile.Read(ref _io)?.Abort();
        WakeLender();
        var pipes = _pipes;
        pipes?.Inbound.Writable.Set();
        pipes?.Outbound.Readable.Set();
    }

    /// <summary>
    /// Records why the connection ends, unless a reason already was: true when this one is it. Claimed
    /// before the connection is stopped, so the reason is logged before the peer can see the close.
    /// </summary>
    public bool ClaimEnd(string reason) => Interlocked.CompareExchange(ref _endReason, reason, null) is null;

    /// <summary>
    /// Closes the socket at once, not when the engine's loop next runs: for a connection still in its
    /// handshake (nothing in flight), so a flood of them frees descriptors as fast as it makes them.
    /// </summary>
    public void CloseNow() => _socket.Dispose();

    void IPeer.OnGranted(PeerPipes pipes) => _slot.TrySetResult(pipes);

    void IPeer.OnRefused(string reason) => _slot.TrySetResult(null);

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
            ReturnReceiveBuffer(); // every read has completed: the loops and the handshake were awaited
            if (IsHandshakeComplete)
                _diagnostics.Disconnected(Description, reason ?? _endReason ?? "stopped");
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
                    granted = await HandshakeAsync(handshakeTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    var timeoutMs = (long)_options.HandshakeTimeout.TotalMilliseconds;
                    var reason = $"handshake not completed within {timeoutMs} ms";
                    if (ClaimEnd(reason))
                        _diagnostics.HandshakeTimedOut(Description, reason, timeoutMs); // not when it was closed for another reason meanwhile
                    return _endReason ?? reason;
                }
            }
            if (!granted)
                return _endReason ?? "refused";
            IsHandshakeComplete = true;
            _diagnostics.HandshakeSucceeded(Description);
            await TransferAsync().ConfigureAwait(false);
            return _endReason ?? "closed";
        }
        catch (ProtocolViolationException e)
        {
            _endReason ??= e.Message;
            _diagnostics.ConnectionFailed(Description, e.Message, IsHandshakeComplete, e.PeerError);
            return _endReason;
        }
        catch (OperationCanceledException)
        {
            return _endReason ?? "stopped";
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            return _endReason ??= e is SocketException se ? $"connection lost ({se.SocketErrorCode})" : "connection lost";
        }
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

    /// <summary>Bytes received but not yet parsed.</summary>
    private ReadOnlySpan<byte> Buffered => _receiveBuffer.AsSpan(_receiveStart, _receiveEnd - _receiveStart);

    /// <summary>Reads more bytes into the receive buffer (handshake phase). False at end of stream.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken) =>
        Filled(await _socket.ReceiveAsync(FreeReceiveSpace(), SocketFlags.None, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// How much the first read after a large body asks for. The next message may be large too, and what a read
    /// brings into the receive buffer beyond its header is copied again into the body's own buffer: with full 64 KiB
    /// reads, 1 MiB round trips over ipc spent a 56 KiB copy per message on each side. Interleaved runs (8 each),
    /// one-way median 175 → 160 µs; 64 KiB ipc throughput 43.9 → 48.0 k msg/s.
    /// </summary>
    private const int ReadAfterLargeBody = 8 * 1024;

    private bool _largeBodyRead; // a message with a body read straight into its buffer was delivered since the last read
    private int _largestReadAfterLargeBody;

    /// <summary>The most bytes one read after a large body brought in (for tests).</summary>
    internal int LargestReadAfterLargeBody => Volatile.Read(ref _largestReadAfterLargeBody);

    /// <summary>Reads more bytes into the receive buffer, blocking (traffic phase, on the receive thread). False at end of stream.</summary>
    private bool Fill() => FillSome(callerDeadline: null) > 0;

    /// <summary>
    /// Reads more bytes into the receive buffer, blocking: the bytes read, 0 at the end of the stream, or (only on a
    /// caller's thread, <paramref name="callerDeadline"/> set) -1 when none came within a read slice or the deadline.
    /// </summary>
    private int FillSome(Deadline? callerDeadline)
    {
        var space = FreeReceiveSpace().Span;
        if (!_largeBodyRead)
            return FilledSome(ReceiveSome(space, callerDeadline));
        var read = ReceiveSome(space.Length > ReadAfterLargeBody ? space[..ReadAfterLargeBody] : space, callerDeadline);
        if (read < 0)
            return read;
        _largeBodyRead = false;
        if (read > _largestReadAfterLargeBody)
            Volatile.Write(ref _largestReadAfterLargeBody, read);
        return FilledSome(read);
    }

    private int FilledSome(int read)
    {
        if (read > 0)
            Filled(read);
        return read;
    }

    /// <summary>Compacts the receive buffer and returns the space after the buffered bytes.</summary>
    private Memory<byte> FreeReceiveSpace()
    {
        if (_receiveStart > 0)
        {
            Buffer.BlockCopy(_receiveBuffer, _receiveStart, _receiveBuffer, 0, _receiveEnd - _receiveStart);
            _receiveEnd -= _receiveStart;
            _receiveStart = 0;
        }
        if (_receiveEnd == _receiveBuffer.Length)
        {
            if (_receiveBufferRented)
                throw new ProtocolViolationException("peer sent more than the receive buffer holds before it may");
            UseFullReceiveBuffer(); // a handshake command larger than the small buffer
        }
        return _receiveBuffer.AsMemory(_receiveEnd);
    }

    private bool Filled(int read)
    {
        if (read == 0)
            return false;
        _receiveEnd += read;
        MarkReceived();
        return true;
    }

    /// <summary>
    /// One blocking read. The end of the stream after <see cref="Stop"/> shut the socket down is our own doing, so it
    /// surfaces as cancellation, not as the peer breaking off mid-frame. The receive thread reads until bytes come;
    /// a caller (<paramref name="callerDeadline"/> set) gets -1 when a read slice (<see cref="ReadSlice"/>, the
    /// socket's receive timeout) or its deadline passes first, so it can look at its deadline and the pipe.
    /// </summary>
    private int ReceiveSome(Span<byte> into, Deadline? callerDeadline = null)
    {
        while (true)
        {
            if (callerDeadline is { } deadline)
            {
                // Shorter than a slice: wait with poll for exactly what is left, then read what came.
                var remaining = deadline.Remaining;
                if (remaining != Timeout.InfiniteTimeSpan && remaining < ReadSlice && !_io!.WaitReadable(remaining))
                    return -1;
            }
            var read = _io!.Receive(into);
            if (read == 0)
                _stop.Token.ThrowIfCancellationRequested();
            if (read >= 0 || callerDeadline is not null)
                return read;
            _stop.Token.ThrowIfCancellationRequested(); // a slice passed on the receive thread: read again
        }
    }

    /// <summary>Moves the buffered bytes into a full-size receive buffer from the pool (once per connection).</summary>
    private void UseFullReceiveBuffer()
    {
        if (_receiveBufferRented)
            return;
        var full = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        Buffered.CopyTo(full);
        _receiveEnd -= _receiveStart;
        _receiveStart = 0;
        _receiveBuffer = full;
        _receiveBufferRented = true;
    }

    private void ReturnReceiveBuffer()
    {
        if (!_receiveBufferRented)
            return;
        var rented = _receiveBuffer;
        _receiveBuffer = [];
        _receiveStart = _receiveEnd = 0;
        _receiveBufferRented = false;
        ArrayPool<byte>.Shared.Return(rented);
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }
}
