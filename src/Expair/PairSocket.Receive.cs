using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using Expair.Core;
using Expair.Internal;

namespace Expair;

public sealed partial class PairSocket
{
    /// <summary>
    /// Receives the next whole message. Blocks until one arrives; throws <see cref="TimeoutException"/> after
    /// <see cref="PairSocketOptions.ReceiveTimeout"/>. Dispose the message to return its pooled buffers.
    /// </summary>
    public Message Receive()
    {
        var read = new WholeMessageRead(new List<Frame>(1), singleFrameOnly: false);
        return TryReceiveStep(ref read, Options.ReceiveTimeout) ? new Message(read.Into) : throw ReceiveTimeout();
    }

    /// <summary>
    /// Receives the next message into <paramref name="message"/>, replacing (and releasing) the frames it held.
    /// Reusing one <see cref="Message"/> this way receives without allocating. Blocks like <see cref="Receive()"/>.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public void Receive(Message message)
    {
        if (!TryReceive(message, Options.ReceiveTimeout))
            throw ReceiveTimeout();
    }

    /// <summary>
    /// Receives the next message into <paramref name="message"/> (see <see cref="Receive(Message)"/>), waiting at
    /// most <paramref name="timeout"/>. False when none came; the message is then left as it was.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public bool TryReceive(Message message, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(message);
        var frames = message.PrepareForReuse();
        var read = new WholeMessageRead(frames, singleFrameOnly: false);
        if (TryReceiveStep(ref read, ValidTimeout(timeout)))
        {
            message.CompleteReuse(frames);
            return true;
        }
        message.CancelReuse(frames);
        return false;
    }

    /// <summary>
    /// Receives the next message's bytes into <paramref name="buffer"/> and returns how many there were: the
    /// allocation-free receive. The message must have one frame that fits; otherwise it stays queued and
    /// <see cref="InvalidOperationException"/> (multipart) or <see cref="ArgumentException"/> (too large, with its
    /// size) is thrown, so nothing is lost. Blocks like <see cref="Receive()"/>.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public int Receive(Span<byte> buffer) =>
        TryReceive(buffer, out var length, Options.ReceiveTimeout) ? length : throw ReceiveTimeout();

    /// <summary>
    /// Receives the next one-frame message into <paramref name="buffer"/> (see <see cref="Receive(Span{byte})"/>),
    /// waiting at most <paramref name="timeout"/>. False when none came.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    public bool TryReceive(Span<byte> buffer, out int length, TimeSpan timeout)
    {
        var read = new SingleFrameRead(buffer.Length);
        if (!TryReceiveStep(ref read, ValidTimeout(timeout)))
        {
            length = 0;
            return false;
        }
        read.Frame.Span.CopyTo(buffer);
        length = read.Frame.Length;
        read.Frame.Release();
        return true;
    }

    /// <summary>
    /// Receives the next message's bytes as a new array. The message must have one frame: a multipart message
    /// is left queued and <see cref="InvalidOperationException"/> thrown, so nothing is lost; use <see cref="Receive()"/>.
    /// </summary>
    public byte[] ReceiveBytes()
    {
        var frame = ReceiveSingleFrame();
        var bytes = frame.Span.ToArray();
        frame.Release();
        return bytes;
    }

    /// <summary>Receives the next one-frame message decoded as UTF-8. See <see cref="ReceiveBytes"/>.</summary>
    public string ReceiveString() => DecodeUtf8(ReceiveSingleFrame());

    /// <summary>
    /// Receives the next one-frame message decoded as UTF-8 (see <see cref="ReceiveString"/>), waiting at most
    /// <paramref name="timeout"/>. False when none came.
    /// </summary>
    public bool TryReceiveString([NotNullWhen(true)] out string? text, TimeSpan timeout)
    {
        text = TryReceiveSingleFrame(out var frame, ValidTimeout(timeout)) ? DecodeUtf8(frame) : null;
        return text is not null;
    }

    /// <summary>
    /// Receives the next one-frame message decoded as UTF-8, asynchronously. A multipart message is left queued
    /// and <see cref="InvalidOperationException"/> thrown, as <see cref="ReceiveString"/> does.
    /// </summary>
    public async ValueTask<string> ReceiveStringAsync(CancellationToken cancellationToken = default) =>
        DecodeUtf8(await ReceiveSingleFrameAsync(cancellationToken).ConfigureAwait(false));

    private static string DecodeUtf8(Frame frame)
    {
        try
        {
            return Encoding.UTF8.GetString(frame.Span);
        }
        finally
        {
            frame.Release();
        }
    }

    /// <summary>Receives the next message, waiting at most <paramref name="timeout"/>. False when none came.</summary>
    public bool TryReceive([NotNullWhen(true)] out Message? message, TimeSpan timeout)
    {
        var read = new WholeMessageRead(new List<Frame>(1), singleFrameOnly: false);
        message = TryReceiveStep(ref read, ValidTimeout(timeout)) ? new Message(read.Into) : null;
        return message is not null;
    }

    /// <summary>Receives the next whole message asynchronously.</summary>
    public async ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var read = await ReceiveStepAsync(new WholeMessageRead(new List<Frame>(1), singleFrameOnly: false), cancellationToken).ConfigureAwait(false);
        return new Message(read.Into);
    }

    /// <summary>
    /// Receives the next message asynchronously into <paramref name="message"/>, replacing (and releasing) the
    /// frames it held; see <see cref="Receive(Message)"/>. If cancelled, the message is left as it was.
    /// </summary>
    public async ValueTask ReceiveAsync(Message message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var frames = message.PrepareForReuse();
        try
        {
            await ReceiveStepAsync(new WholeMessageRead(frames, singleFrameOnly: false), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            message.CancelReuse(frames);
            throw;
        }
        message.CompleteReuse(frames);
    }

    /// <summary>The one async receive loop: each attempt starts from a fresh copy of <paramref name="read"/>; returns the one that took a message.</summary>
    private async ValueTask<TRead> ReceiveStepAsync<TRead>(TRead read, CancellationToken cancellationToken)
        where TRead : struct, IPipeRead
    {
        while (true)
        {
            ThrowIfClosed();
            cancellationToken.ThrowIfCancellationRequested();
            var attempt = read;
            var step = _core.TryReceiveStep(ref attempt, out var signal, out var seen);
            if (step == Step.Done)
                return attempt;
            if (step != Step.Wait)
                throw ReceiveFailed(step, attempt.RefusedLength);
            _core.BeforeAsyncWait(signal);
            await signal.WaitAsync(seen, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Every message as it arrives, until <paramref name="cancellationToken"/> is cancelled (which throws
    /// <see cref="OperationCanceledException"/>) or the socket is disposed (which ends the sequence).
    /// </summary>
    public async IAsyncEnumerable<Message> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Message message;
            try
            {
                message = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                yield break;
            }
            yield return message;
        }
    }

    private Frame ReceiveSingleFrame() =>
        TryReceiveSingleFrame(out var frame, Options.ReceiveTimeout) ? frame : throw ReceiveTimeout();

    private bool TryReceiveSingleFrame(out Frame frame, TimeSpan timeout)
    {
        var read = new SingleFrameRead(int.MaxValue);
        var received = TryReceiveStep(ref read, timeout);
        frame = read.Frame;
        return received;
    }

    private async ValueTask<Frame> ReceiveSingleFrameAsync(CancellationToken cancellationToken) =>
        (await ReceiveStepAsync(new SingleFrameRead(int.MaxValue), cancellationToken).ConfigureAwait(false)).Frame;

    /// <summary>The one blocking receive loop, shared by every blocking receive method. False on timeout.</summary>
    [MethodImpl(HotPath.Optimized)]
    private bool TryReceiveStep<TRead>(ref TRead read, TimeSpan timeout)
        where TRead : struct, IPipeRead
    {
        Deadline? deadline = null; // read the clock only when there is something to wait for
        while (true)
        {
            ThrowIfClosed();
            var step = _core.TryReceiveStep(ref read, out var signal, out var seen);
            if (step == Step.Done)
                return true;
            if (step != Step.Wait)
                throw ReceiveFailed(step, read.RefusedLength);
            deadline ??= Deadline.After(timeout);
            if (_core.TryFillOnCaller(signal, seen, deadline.Value))
                continue; // read the connection on this thread: look again
            if (!signal.Wait(seen, deadline.Value))
                return false;
        }
    }

    /// <summary>Why a receive step neither took a message nor said "wait": the socket closed, its endpoint was refused, or the next message does not fit the call.</summary>
    private Exception ReceiveFailed(Step step, int refusedLength) => step switch
    {
        Step.Closed => new ObjectDisposedException(nameof(PairSocket)),
        Step.Refused => RefusedByHandshake(),
        Step.Multipart => new InvalidOperationException(
            "The next message has more than one frame; receive it with Receive() or ReceiveAsync(). It stays queued."),
        _ => new ArgumentException($"The next message ({refusedLength} bytes) does not fit the buffer; it stays queued."),
    };

    private TimeoutException ReceiveTimeout() =>
        new($"Receive timed out after {Options.ReceiveTimeout.TotalMilliseconds:0} ms with no message from the peer.");
}
