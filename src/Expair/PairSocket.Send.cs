using System.Runtime.CompilerServices;
using System.Text;
using Expair.Core;
using Expair.Internal;

namespace Expair;

public sealed partial class PairSocket
{
    /// <summary>
    /// Sends one frame (a copy of <paramref name="frame"/>). Blocks while there is no peer or its queue is full;
    /// throws <see cref="TimeoutException"/> after <see cref="PairSocketOptions.SendTimeout"/>.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public void Send(ReadOnlySpan<byte> frame)
    {
        Frame.Copy(frame, more: false, out var copy);
        SendOrThrow(new ReadOnlySpan<Frame>(in copy));
    }

    /// <summary>Sends <paramref name="text"/> as one UTF-8 frame. See <see cref="Send(ReadOnlySpan{byte})"/>.</summary>
    public void Send(string text)
    {
        var copy = Utf8Frame(text);
        SendOrThrow(new ReadOnlySpan<Frame>(in copy));
    }

    /// <summary>Sends every frame of <paramref name="message"/> as one message, atomically. The caller keeps the message.</summary>
    public void Send(Message message) => SendOrThrow(CopyFrames(message));

    /// <summary>Sends one frame, waiting at most <paramref name="timeout"/> for a peer or queue room. False if it did not go.</summary>
    public bool TrySend(ReadOnlySpan<byte> frame, TimeSpan timeout)
    {
        Frame.Copy(frame, more: false, out var copy);
        return TrySendFrames(new ReadOnlySpan<Frame>(in copy), timeout);
    }

    /// <summary>Sends <paramref name="text"/> as one UTF-8 frame, waiting at most <paramref name="timeout"/>. False if it did not go.</summary>
    public bool TrySend(string text, TimeSpan timeout)
    {
        var copy = Utf8Frame(text);
        return TrySendFrames(new ReadOnlySpan<Frame>(in copy), timeout);
    }

    /// <summary>Sends <paramref name="message"/> atomically, waiting at most <paramref name="timeout"/>. False if it did not go.</summary>
    public bool TrySend(Message message, TimeSpan timeout) => TrySendFrames(CopyFrames(message), timeout);

    /// <summary>Sends one frame, waiting asynchronously for a peer or queue room.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken = default) =>
        SendFrameAsync(Frame.Copy(frame.Span, more: false), cancellationToken);

    /// <summary>Sends <paramref name="text"/> as one UTF-8 frame, waiting asynchronously for a peer or queue room.</summary>
    public ValueTask SendAsync(string text, CancellationToken cancellationToken = default) =>
        SendFrameAsync(Utf8Frame(text), cancellationToken);

    /// <summary>Sends <paramref name="message"/> atomically, waiting asynchronously for a peer or queue room.</summary>
    public ValueTask SendAsync(Message message, CancellationToken cancellationToken = default) =>
        SendFramesAsync(CopyFrames(message), message: null, cancellationToken);

    /// <summary>
    /// Sends every frame of <paramref name="message"/> as one message, atomically, without copying: the socket
    /// takes the frames' buffers and <paramref name="message"/> is left empty, ready to be filled again (see
    /// <see cref="Message.AddBuffer(int)"/>). Blocks like <see cref="Send(Message)"/>; when it throws, the message
    /// keeps its frames.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public void SendAndClear(Message message)
    {
        if (!TrySendAndClear(message, Options.SendTimeout))
            throw SendTimedOut();
    }

    /// <summary>
    /// Sends <paramref name="message"/> as <see cref="SendAndClear(Message)"/> does, waiting at most
    /// <paramref name="timeout"/>. False if it did not go; the message then keeps its frames.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public bool TrySendAndClear(Message message, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!TrySendFrames(message.FramesToSend(), timeout, ownsFrames: false))
            return false;
        message.ForgetSent();
        return true;
    }

    /// <summary>
    /// Sends <paramref name="message"/> as <see cref="SendAndClear(Message)"/> does, waiting asynchronously for a
    /// peer or queue room. The message must not be touched until the returned task completes; if it fails or is
    /// cancelled, the message keeps its frames.
    /// </summary>
    public ValueTask SendAndClearAsync(Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!TrySendNow(message.FramesToSend(), cancellationToken))
            return SendFramesAsync(copied: null, message, cancellationToken);
        message.ForgetSent();
        return default;
    }

    [MethodImpl(HotPath.Optimized)]
    private void SendOrThrow(ReadOnlySpan<Frame> frames)
    {
        if (!TrySendFrames(frames, Options.SendTimeout))
            throw SendTimedOut();
    }

    /// <summary>The connecting endpoint stopped for good because its handshake ended with ERROR (37/ZMTP).</summary>
    private HandshakeRefusedException RefusedByHandshake() =>
        _core.Refusal is { } refusal
            ? new(refusal.Message, refusal.Endpoint, refusal.Reason, refusal.ByPeer)
            : new("The connection was refused during the handshake; the socket has connected or bound again since.");

    private TimeoutException SendTimedOut() =>
        new($"Send timed out after {Options.SendTimeout.TotalMilliseconds:0} ms: " +
            (HasPeer ? "the peer's queue stayed full (high-water mark reached)."
                : _diagnostics.Endpoint is null ? "the socket was never bound or connected; call Bind or Connect first."
                : Endpoint is null ? "the socket is no longer bound or connected." // after Unbind, Disconnect, or a connector that gave up
                : "the socket has no peer."));

    /// <summary>
    /// The one blocking send loop: try a step, wait on the signal it names, try again. Frames the socket copied
    /// (<paramref name="ownsFrames"/>) are released when they do not go; a caller's own frames stay the caller's.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    private bool TrySendFrames(ReadOnlySpan<Frame> frames, TimeSpan timeout, bool ownsFrames = true)
    {
        ValidTimeout(timeout);
        Deadline? deadline = null; // read the clock only when there is something to wait for
        try
        {
            while (true)
            {
                ThrowIfClosed();
                switch (_core.TrySendStep(frames, out var signal, out var seen))
                {
                    case Step.Done:
                        return true;
                    case Step.Closed:
                        ThrowIfClosed();
                        throw new ObjectDisposedException(nameof(PairSocket));
                    case Step.Refused:
                        throw RefusedByHandshake();
                }
                deadline ??= Deadline.After(timeout);
                if (!signal.Wait(seen, deadline.Value))
                {
                    // Room that appeared without a wake-up (a reader wakes writers only at the low-water mark) counts.
                    if (_core.TrySendStep(frames, out _, out _) == Step.Done)
                        return true;
                    if (ownsFrames)
                        Release(frames);
                    return false;
                }
            }
        }
        catch when (ownsFrames)
        {
            Release(frames);
            throw;
        }
    }

    /// <summary>
    /// One frame: when the queue has room now it is sent with no array and no state machine (the usual case);
    /// otherwise, or on a closed socket or a cancelled token, the async loop takes over and reports it.
    /// </summary>
    private ValueTask SendFrameAsync(Frame frame, CancellationToken cancellationToken) =>
        TrySendNow(new ReadOnlySpan<Frame>(in frame), cancellationToken) ? default : SendFramesAsync([frame], message: null, cancellationToken);

    /// <summary>The async fast path: queued at once, with no state machine, when the socket is open and has room.</summary>
    private bool TrySendNow(ReadOnlySpan<Frame> frames, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && Volatile.Read(ref _disposeState) == 0
        && _core.TrySendStep(frames, out _, out _) == Step.Done;

    /// <summary>
    /// The one async send loop. It sends either frames the socket <paramref name="copied"/> (released if they do not
    /// go) or, when that is null, <paramref name="message"/>'s own frames (taken over when they go, else left to it).
    /// </summary>
    private async ValueTask SendFramesAsync(Frame[]? copied, Message? message, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                ThrowIfClosed();
                cancellationToken.ThrowIfCancellationRequested();
                switch (_core.TrySendStep(copied is not null ? copied : message!.FramesToSend(), out var signal, out var seen))
                {
                    case Step.Done:
                        message?.ForgetSent();
                        return;
                    case Step.Closed:
                        throw new ObjectDisposedException(nameof(PairSocket));
                    case Step.Refused:
                        throw RefusedByHandshake();
                }
                await signal.WaitAsync(seen, cancellationToken).ConfigureAwait(false);
            }
        }
        catch when (copied is not null)
        {
            Release(copied);
            throw;
        }
    }

    private static void Release(ReadOnlySpan<Frame> frames)
    {
        foreach (var frame in frames)
            frame.Release();
    }

    private static Frame Utf8Frame(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var frame = Frame.Rent(Encoding.UTF8.GetByteCount(text), more: false);
        Encoding.UTF8.GetBytes(text, frame.Writable.Span);
        return frame;
    }

    private static Frame[] CopyFrames(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var source = message.FramesToSend();
        var frames = new Frame[source.Length];
        for (var i = 0; i < frames.Length; i++)
            frames[i] = Frame.Copy(source[i].Span, more: i < frames.Length - 1);
        return frames;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TimeSpan ValidTimeout(TimeSpan timeout, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(timeout))] string? name = null) =>
        timeout >= TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan
            ? timeout
            : throw new ArgumentOutOfRangeException(name, timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
}
