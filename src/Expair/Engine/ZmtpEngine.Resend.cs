using System.Net.Sockets;
using System.Runtime.InteropServices;
using Expair.Core;
using Expair.Internal;

namespace Expair.Engine;

/// <summary>
/// What the send loop does when a write fails: which messages go back into the queue for the next
/// connection, and which count as sent. The rule keeps 31/EXPAIR's promises across reconnects: a message is
/// never half-delivered and never delivered twice; one whose bytes may already have reached the kernel is
/// not sent again (it may be lost with the connection: the TCP limit in docs/reliability.md).
/// </summary>
internal sealed partial class ZmtpEngine
{
    /// <summary>
    /// Largest single socket write. A failed write may have handed any part of itself to the kernel, so this
    /// bounds how many bytes are in doubt when a connection fails (their messages are not sent again).
    /// </summary>
    private const int MaxWrite = 256 * 1024;

    private long _sendConfirmed; // bytes of the current batch the kernel took
    private long _sendAttempting; // bytes of the write in progress, in doubt if it fails

    /// <summary>Writes a batch piece by piece, counting what the kernel took in <see cref="_sendConfirmed"/>.</summary>
    private async ValueTask SendSegmentsAsync(List<ArraySegment<byte>> segments, CancellationToken cancellationToken)
    {
        _sendConfirmed = 0;
        foreach (var segment in segments)
        {
            var rest = segment.AsMemory();
            while (!rest.IsEmpty)
            {
                var piece = rest[..Math.Min(rest.Length, MaxWrite)];
                _sendAttempting = piece.Length;
                var sent = await _socket.SendAsync(piece, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                _sendConfirmed += sent;
                _sendAttempting = 0;
                rest = rest[sent..];
            }
        }
    }

    /// <summary>
    /// After a failed write: messages that ended within the bytes the kernel took, or may have taken, count
    /// as sent (sending them again could deliver them twice); every later message goes back to the front of
    /// the queue whole, including frames of it that earlier batches wrote.
    /// </summary>
    private void RequeueUnsent(Pipe outbound, List<Frame> taken, List<long> ends)
    {
        var doubtful = _sendConfirmed + _sendAttempting;
        var keepFrom = 0;
        var sent = 0;
        for (var i = 0; i < taken.Count; i++)
        {
            if (taken[i].More)
                continue;
            if (ends[i] > doubtful)
                break;
            sent++;
            keepFrom = i + 1;
        }
        for (var i = 0; i < keepFrom; i++)
            taken[i].Release();
        if (sent > 0)
            outbound.CompleteSent(sent);
        outbound.Unread(CollectionsMarshal.AsSpan(taken)[keepFrom..]);
        taken.Clear();
        ends.Clear();
    }

    /// <summary>
    /// After a batch went out: releases the frames of every message whose last frame was written. The
    /// frames of a message still being sent stay in <paramref name="taken"/> (their bytes are out: end 0 of
    /// the next batch), so a later failure puts the whole message back, never its tail alone.
    /// </summary>
    private static void ReleaseSentMessages(List<Frame> taken, List<long> ends)
    {
        var sent = taken.FindLastIndex(frame => !frame.More) + 1;
        for (var i = 0; i < sent; i++)
            taken[i].Release();
        taken.RemoveRange(0, sent);
        ends.Clear();
        ends.AddRange(Enumerable.Repeat(0L, taken.Count));
    }
}
