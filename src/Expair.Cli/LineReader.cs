namespace Expair.Cli;

/// <summary>
/// Lines of raw bytes from a stream, as they arrive (so <c>tail -f log | expair send</c> streams). Nothing is
/// decoded: a line is the bytes before a LF, without a CR just before it, so binary text reaches the wire as it
/// was. The last line needs no LF.
/// </summary>
internal sealed class LineReader(Stream stream)
{
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>The next line (valid until the next call), or false at the end of the stream.</summary>
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
        if (live * 2 > _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2); // a line longer than half the buffer: grow
        Buffer.BlockCopy(_buffer, _start, _buffer, 0, live);
        _start = 0;
        _end = live;
    }

    private static ReadOnlyMemory<byte> WithoutCr(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;
}
