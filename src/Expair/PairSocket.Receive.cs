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
    public Message Receive() =>
        TryReceiveFrames(Options.ReceiveTimeout, singleFrameOnly: false, out var frames)
            ? new Message(frames!)
            : throw ReceiveTimeout();

    /// <summary>
    /// Receives the next message's bytes as a new array. The message must have one frame: a multipart message
    /// is left queued and <see cref="InvalidOperationException"/> thrown, so nothing is lost; use <see cref="Receive"/>.
    /// </summary>
    public byte[] ReceiveBytes()
    {
        if (!TryReceiveFrames(Options.ReceiveTimeout, singleFrameOnly: true, out var frames))
            throw ReceiveTimeout();
        var frame = frames![0];
        var bytes = frame.Span.ToArray();
        frame.Release();
        return bytes;
    }

    /// <summary>Receives the next one-frame message decoded as UTF-8. See <see cref="ReceiveBytes"/>.</summary>
    public string ReceiveString()
    {
        if (!TryReceiveFrames(Options.ReceiveTimeout, singleFrameOnly: true, out var frames))
            throw ReceiveTimeout();
        var frame = frames![0];
        var text = Encoding.UTF8.GetString(frame.Span);
        frame.Release();
        return text;
    }

    /// <summary>Receives the next message, waiting at most <paramref name="timeout"/>. False when none came.</summary>
    public bool TryReceive([NotNullWhen(true)] out Message? message, TimeSpan timeout)
    {
        message = TryReceiveFrames(ValidTimeout(timeout), singleFrameOnly: false, out var frames) ? new Message(frames!) : null;
        return message is not null;
    }

    /// <summary>Receives the next whole message asynchronously.</summary>
    public async ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var frames = new List<Frame>(1);
        while (true)
        {
            ThrowIfClosed();
            cancellationToken.ThrowIfCancellationRequested();
            switch (_core.TryReceiveStep(frames, singleFrameOnly: false, out var signal, out var seen))
            {
                case Step.Done:
                    return new Message(frames);
                case Step.Closed:
                    throw new ObjectDisposedException(nameof(PairSocket));
            }
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

    /// <summary>The one blocking receive loop, shared by every blocking receive method.</summary>
    private bool TryReceiveFrames(TimeSpan timeout, bool singleFrameOnly, out List<Frame>? frames)
    {
        var deadline = Deadline.After(timeout);
        var into = new List<Frame>(1);
        while (true)
        {
            ThrowIfClosed();
            switch (_core.TryReceiveStep(into, singleFrameOnly, out var signal, out var seen))
            {
                case Step.Done:
                    frames = into;
                    return true;
                case Step.Closed:
                    throw new ObjectDisposedException(nameof(PairSocket));
                case Step.Multipart:
                    throw new InvalidOperationException(
                        "The next message has more than one frame; receive it with Receive() or ReceiveAsync(). It stays queued.");
            }
            if (!signal.Wait(seen, deadline))
            {
                frames = null;
                return false;
            }
        }
    }

    private TimeoutException ReceiveTimeout() =>
        new($"Receive timed out after {Options.ReceiveTimeout.TotalMilliseconds:0} ms with no message from the peer.");
}
