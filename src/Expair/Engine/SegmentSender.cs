using System.Runtime.CompilerServices;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;

namespace Expair.Engine;

/// <summary>
/// Writes encoded batches in bounded gathered writes and counts what the kernel took, so that after a failed write
/// it is known which messages count as sent and which go back into the queue for the next connection. The rule
/// keeps 31/EXPAIR's promises across reconnects: a message is never half-delivered and never delivered twice; one
/// whose bytes may already have reached the kernel is not sent again (it may be lost with the connection: the TCP
/// limit in docs/reliability.md). Used under <see cref="SocketWriter"/>'s gate.
/// </summary>
internal sealed class SegmentSender(BlockingStream io)
{
    /// <summary>
    /// Largest single (gathered) socket write. A failed write may have handed any part of itself to the kernel,
    /// so this bounds the bytes in doubt when a connection fails (their messages are not sent again).
    /// </summary>
    private const int MaxWrite = 256 * 1024;

    private readonly List<ArraySegment<byte>> _write = [];
    private long _confirmed; // bytes of the current batch the kernel took
    private long _attempting; // bytes of the write in progress, in doubt if it fails

    /// <summary>Bytes of the batch being written that the kernel took or may have taken (after a failure).</summary>
    public long InDoubt => _confirmed + _attempting;

    /// <summary>After a failure was settled: the next batch starts with nothing in doubt.</summary>
    public void Forget() => _confirmed = _attempting = 0;

    /// <summary>Writes a batch in gathered writes of at most <see cref="MaxWrite"/> bytes, counting what the kernel took.</summary>
    [MethodImpl(HotPath.Optimized)]
    public void Send(List<ArraySegment<byte>> segments)
    {
        _confirmed = 0;
        var index = 0;
        var offset = 0;
        while (index < segments.Count)
        {
            _write.Clear();
            long size = 0;
            while (index < segments.Count && size < MaxWrite)
            {
                var segment = segments[index];
                var take = (int)Math.Min(segment.Count - offset, MaxWrite - size);
                _write.Add(segment.Slice(offset, take));
                size += take;
                offset += take;
                if (offset == segment.Count)
                {
                    index++;
                    offset = 0;
                }
            }
            _attempting = size;
            io.Send(_write, size);
            _confirmed += size;
            _attempting = 0;
        }
        _confirmed = 0; // the batch is out: nothing of it is in doubt any more
    }

    /// <summary>
    /// After a failed write: messages that ended within <paramref name="doubtful"/> bytes (those the kernel took, or
    /// may have taken) count as sent, since sending them again could deliver them twice; every later message goes
    /// back to the front of the queue whole, including frames of it that earlier batches wrote.
    /// <paramref name="ends"/> covers the frames encoded into the failed batch (held ones end at 0).
    /// </summary>
    public static void RequeueUnsent(Pipe outbound, ReadOnlySpan<Frame> taken, ReadOnlySpan<long> ends, long doubtful)
    {
        var keepFrom = 0;
        var sent = 0;
        for (var i = 0; i < ends.Length; i++)
        {
            if (taken[i].More)
                continue;
            if (ends[i] > doubtful)
                break;
            sent++;
            keepFrom = i + 1;
        }
        foreach (var frame in taken[..keepFrom])
            frame.Release(); // writes block, so no abandoned write still reads them
        if (sent > 0)
            outbound.CompleteSent(sent);
        outbound.Unread(taken[keepFrom..]);
    }
}
