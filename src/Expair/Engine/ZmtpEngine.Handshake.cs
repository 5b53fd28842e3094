using System.Buffers;
using Expair.Core;
using Expair.Internal;
using Expair.Protocol;

namespace Expair.Engine;

/// <summary>The ZMTP handshake: greeting exchange, then READY both ways (37/ZMTP "The NULL Security Mechanism").</summary>
internal sealed partial class ZmtpEngine
{
    private static readonly KeyValuePair<string, string>[] ReadyProperties = [new("Socket-Type", "PAIR")];

    /// <summary>True when the connection may carry messages; false when the PAIR slot was refused.</summary>
    private async Task<bool> HandshakeAsync(CancellationToken cancellationToken)
    {
        var greeting = new byte[Greeting.Size];
        Greeting.Write(greeting);
        await SendAllAsync(greeting, cancellationToken).ConfigureAwait(false);

        PeerGreeting peer;
        while (true)
        {
            var status = Greeting.Check(Buffered, out peer);
            if (status == GreetingStatus.Complete)
                break;
            if (status == GreetingStatus.NotZmtp3)
                throw new ProtocolViolationException("not a ZMTP 3 peer (bad greeting signature)");
            if (status == GreetingStatus.OldVersion)
                throw new ProtocolViolationException($"peer speaks ZMTP {Buffered[10]}.x; Expair needs ZMTP 3.0 or later");
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                throw new ProtocolViolationException("peer closed the connection during the greeting");
        }
        _receiveStart += Greeting.Size;
        _peerSupportsHeartbeats = peer.SupportsHeartbeats;
        if (peer.Mechanism != "NULL")
            throw new ProtocolViolationException($"peer uses security mechanism '{peer.Mechanism}'; this socket uses NULL");

        // The client speaks first (37/ZMTP NULL); the server answers only once it has a slot for the peer.
        if (!_isServer)
            await SendReadyAsync(cancellationToken).ConfigureAwait(false);

        var heldNotice = _isServer ? null : StartHeldNotice(cancellationToken);
        await ReceiveReadyAsync(cancellationToken).ConfigureAwait(false);
        heldNotice?.Dispose();
        PeerReady?.Invoke();

        if (_isServer)
        {
            switch (_core.RequestSlot(this))
            {
                case SlotResult.Refused:
                    _endReason = "PAIR socket already has a peer and too many are waiting";
                    return false;
                case SlotResult.Waiting:
                    if (!await WaitForSlotAsync().ConfigureAwait(false))
                        return false;
                    break;
            }
            _pipes = await _slot.Task.ConfigureAwait(false);
            if (_pipes is null)
                return false;
            // Not the handshake timer: time spent waiting in line does not count against the handshake.
            await SendReadyAsync(_stop.Token).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Logs once if the server keeps us waiting for its READY, which a busy Expair PAIR binder does.</summary>
    private Timer StartHeldNotice(CancellationToken cancellationToken)
    {
        var started = Environment.TickCount64;
        return new Timer(_ =>
        {
            if (!cancellationToken.IsCancellationRequested && !IsHandshakeComplete)
                _diagnostics.HandshakeHeld(Description, TimeSpan.FromMilliseconds(Environment.TickCount64 - started));
        }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Held in the waiting line: keeps reading so a peer that gives up is noticed at once. A peer may not send
    /// anything before our READY (37/ZMTP NULL), so any byte from it now is a violation and ends the wait.
    /// False when the peer left, misbehaved, or the socket refused us.
    /// </summary>
    private async Task<bool> WaitForSlotAsync()
    {
        using var waitEnded = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        // Waiting in line is not a stalled handshake: only our own stop ends it, not the handshake timer.
        var reading = WatchForCloseAsync(waitEnded.Token);
        var first = await Task.WhenAny(_slot.Task, reading).ConfigureAwait(false);
        if (first == reading)
        {
            _endReason ??= reading.IsFaulted ? reading.Exception.InnerException!.Message : "peer left while waiting for the PAIR slot";
            _diagnostics.ConnectionFailed(Description, _endReason, handshakeComplete: false, peerError: null);
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
        return Buffered.IsEmpty && _slot.Task.Result is not null;
    }

    private async Task WatchForCloseAsync(CancellationToken cancellationToken)
    {
        if (Buffered.IsEmpty && !await FillAsync(cancellationToken).ConfigureAwait(false))
            return;
        throw new ProtocolViolationException("peer sent data before the handshake completed");
    }

    private async Task SendReadyAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Commands.ReadySize(ReadyProperties));
        try
        {
            var length = Commands.WriteReady(buffer, ReadyProperties);
            await SendAllAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task ReceiveReadyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = FrameHeader.TryParse(Buffered, ReceiveBufferSize - FrameHeader.MaxSize, out var header);
            if (status == OperationStatus.Done && Buffered.Length >= header.HeaderLength + header.BodyLength)
            {
                var body = Buffered.Slice(header.HeaderLength, (int)header.BodyLength);
                if (!header.IsCommand)
                    throw new ProtocolViolationException("peer sent a message before completing the handshake");
                if (!Commands.TryParse(body, out var name, out var data))
                    throw new ProtocolViolationException("malformed command during the handshake");
                if (Commands.IsNamed(name, Commands.Error))
                {
                    throw ProtocolViolationException.FromPeerError(Commands.ParseErrorReason(data));
                }
                if (!Commands.IsNamed(name, Commands.Ready))
                    throw new ProtocolViolationException("expected READY during the handshake");
                if (!Commands.TryParseMetadata(data, out var properties))
                    throw new ProtocolViolationException("malformed READY metadata");
                properties.TryGetValue("Socket-Type", out var socketType);
                _receiveStart += header.HeaderLength + (int)header.BodyLength;
                if (!string.Equals(socketType, "PAIR", StringComparison.Ordinal))
                {
                    await SendErrorAsync("Invalid socket type", cancellationToken).ConfigureAwait(false);
                    throw new ProtocolViolationException($"Invalid socket type: peer socket type is {socketType ?? "(none)"}; a PAIR socket only talks to PAIR");
                }
                return;
            }
            if (status == OperationStatus.InvalidData)
                throw new ProtocolViolationException("malformed frame during the handshake");
            if (status == OperationStatus.DestinationTooSmall)
                throw new ProtocolViolationException("handshake command too large");
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                throw new ProtocolViolationException("peer closed the connection during the handshake");
        }
    }

    private async Task SendErrorAsync(string reason, CancellationToken cancellationToken)
    {
        var buffer = new byte[FrameHeader.MaxSize + 7 + 256];
        var length = Commands.WriteError(buffer, reason);
        try
        {
            await SendAllAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The peer may already be gone; the refusal stands either way.
        }
    }
}
