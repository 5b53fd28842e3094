namespace Expair.Cli;

/// <summary>
/// Lines of raw bytes from a stream, as they arrive (so <c>tail -f log | expair send</c> streams). Nothing is
/// decoded: a line is the bytes before a LF, without a CR just before it, so binary text reaches the wire as it
/// was. The last line needs no LF. A line longer than <paramref name="maxLineLength"/> is refused, so an endless
/// line holds at most that much memory.
/// </summary>
internal sealed class LineReader(Stream stream, int maxLineLength)
{
    private byte[] _buffer = new byte[Math.Min(64 * 1024, maxLineLength + 2)];
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>
    /// The next line (valid until the next call), or false at the end of the stream. Throws
    /// <see cref="FormatException"/> for a line longer than the limit, as soon as that much has come without a LF.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken stop)
    {
        var searched = 0;
        while (true)
        {
            var newline = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var length = searched + newline;
                var line = _buffer.AsMemory(_start, length);
                _start += length + 1;
                return WithoutCr(line);
            }
            searched = _end - _start;
            if (searched > maxLineLength + 1) // + 1: the CR of a CRLF
                throw new FormatException($"longer than {maxLineLength} bytes, the most a line may hold");
            if (_eof)
            {
                if (_end == _start)
                    return null;
                var last = _buffer.AsMemory(_start, _end - _start);
                _start = _end;
                return WithoutCr(last);
            }
            MakeRoom();
            // Console streams ignore the token while blocked in read(2); WaitAsync lets Ctrl+C stop us anyway
            // (the abandoned read dies with the process).
            var pending = stream.ReadAsync(_buffer.AsMemory(_end), stop);
            var read = pending.IsCompletedSuccessfully ? pending.Result : await pending.AsTask().WaitAsync(stop).ConfigureAwait(false);
            if (read == 0)
                _eof = true;
            _end += read;
        }
    }

    private void MakeRoom()
    {
        if (_end < _buffer.Length)
            return;
        var live = _end - _start;
        if (live * 2 > _buffer.Length) // a line longer than half the buffer: grow, to room for the longest line and its CRLF
            Array.Resize(ref _buffer, (int)Math.Min(_buffer.Length * 2L, maxLineLength + 2L));
        Buffer.BlockCopy(_buffer, _start, _buffer, 0, live);
        _start = 0;
        _end = live;
    }

    private static ReadOnlyMemory<byte> WithoutCr(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;
}
