using System.Text;
using System.Text.Json;

namespace Expair.Cli.Tests;

/// <summary>send --format/--multipart and recv --format/--json: exact bytes where the format promises them.</summary>
public class FormatTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static string NewInProc() => $"inproc://format-{Guid.NewGuid():N}";

    private static PairSocket NewPeer() => new(new PairSocketOptions { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = Patience });

    /// <summary>Every byte value, a tab, a newline, invalid UTF-8 and an empty frame: what text cannot carry.</summary>
    private static readonly byte[][] Binary =
    [
        [.. Enumerable.Range(0, 256).Select(i => (byte)i)],
        [],
        "tab\there\nnewline"u8.ToArray(),
        [0xFF, 0xFE, 0x0A, 0x09, 0x00],
    ];

    [Theory]
    [InlineData("hex")]
    [InlineData("base64")]
    public async Task SendToRecv_BinaryMultipart_RoundTripsExactly(string format)
    {
        var recv = new CliRunner();
        var receiving = recv.Start("recv", "--bind", "tcp://127.0.0.1:*", "--count", "2", "--timeout", "10000", "--format", format);
        var note = await recv.Stderr.WaitForLineAsync(line => line.StartsWith("expair: recv: bound to ", StringComparison.Ordinal));
        var endpoint = note["expair: recv: bound to ".Length..];
        var line = string.Join('\t', Binary.Select(frame => Encode(frame, format)));

        // The message twice: once from stdin, once as an operand, with the frames in one line as recv prints them.
        var fromStdin = await CliRunner.RunWithStdinAsync(line + "\n", "send", "--connect", endpoint, "--format", format, "--multipart");
        var fromOperand = await CliRunner.RunAsync("send", "--connect", endpoint, "--format", format, "--multipart", line);
        var received = await recv.ResultAsync(receiving);

        Assert.True(fromStdin.ExitCode == 0, fromStdin.ToString());
        Assert.True(fromOperand.ExitCode == 0, fromOperand.ToString());
        Assert.True(received.ExitCode == 0, received.ToString());
        Assert.Equal([line, line], received.StdoutLines);
        Assert.Equal(Binary, received.StdoutLines[0].Split('\t').Select(f => Decode(f, format)).ToArray());
    }

    [Fact]
    public async Task Send_TextStdin_SendsTheBytesUndecoded()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());
        byte[] stdin = [0x61, 0xFF, 0xFE, 0x62, 0x0D, 0x0A, 0xC3, 0x28, 0x0A, 0x09, 0x00];

        var send = await CliRunner.RunWithStdinAsync(stdin, "send", "--connect", endpoint);

        Assert.True(send.ExitCode == 0, send.ToString());
        Assert.Equal([0x61, 0xFF, 0xFE, 0x62], peer.ReceiveBytes()); // CRLF ends the line
        Assert.Equal([0xC3, 0x28], peer.ReceiveBytes());
        Assert.Equal([0x09, 0x00], peer.ReceiveBytes()); // the last line needs no newline
        Assert.False(peer.TryReceive(out _, TimeSpan.Zero));
    }

    /// <summary>Lines longer than the reader's buffer, and many short ones across its refills, come out whole and in order.</summary>
    [Fact]
    public async Task Send_LongAndManyStdinLines_EachSentWhole()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());
        var random = new Random(3);
        var lines = new List<byte[]> { RandomLine(random, 300_000), RandomLine(random, 0) };
        lines.AddRange(Enumerable.Range(0, 5000).Select(i => RandomLine(random, i % 97)));
        lines.Add(RandomLine(random, 140_000));
        var stdin = lines.SelectMany(line => line.Append((byte)'\n')).ToArray();

        var sending = CliRunner.RunWithStdinAsync(stdin, "send", "--connect", endpoint, "--format", "hex");
        foreach (var line in lines)
            Assert.Equal(Convert.FromHexString(System.Text.Encoding.ASCII.GetString(line)), peer.ReceiveBytes());
        var send = await sending;

        Assert.True(send.ExitCode == 0, send.ToString());
    }

    /// <summary>Hex text of <paramref name="bytes"/> random bytes: never a LF or CR inside.</summary>
    private static byte[] RandomLine(Random random, int bytes)
    {
        var data = new byte[bytes];
        random.NextBytes(data);
        return System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(data));
    }

    [Fact]
    public async Task Send_MultipartText_SplitsAtTabs()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());

        var send = await CliRunner.RunAsync("send", "--connect", endpoint, "--multipart", "key\t\tvalue", "single");

        Assert.True(send.ExitCode == 0, send.ToString());
        using (var first = peer.Receive())
            Assert.Equal(["key", "", "value"], Enumerable.Range(0, first.Count).Select(first.GetString));
        Assert.Equal("single", peer.ReceiveString());
    }

    [Fact]
    public async Task Recv_Text_EscapesWhatWouldBreakTheLineFormat()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());
        var recv = new CliRunner();
        var receiving = recv.Start("recv", "--connect", endpoint, "--count", "3", "--timeout", "10000");

        peer.Send(new Message("a\tb", "c"));      // a tab inside a frame of several: \t, so frames stay apart
        peer.Send("one\ntwo\r\nthree");          // line breaks: \n and \r, so a message stays one line
        peer.Send("lone\ttab");                   // one frame: nothing to tell apart, printed as it is

        var result = await recv.ResultAsync(receiving);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["a\\tb\tc", "one\\ntwo\\r\\nthree", "lone\ttab"], result.StdoutLines);
    }

    [Theory]
    [InlineData("text", """{"frames":["γ","tab\there","a�b",""],"bytes":13}""")]
    [InlineData("hex", """{"frames":["ceb3","7461620968657265","61ff62",""],"bytes":13}""")]
    [InlineData("base64", """{"frames":["zrM=","dGFiCWhlcmU=","Yf9i",""],"bytes":13}""")]
    public async Task Recv_Json_OneObjectPerMessage(string format, string expected)
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());
        var recv = new CliRunner();
        var receiving = recv.Start("recv", "--connect", endpoint, "--count", "1", "--timeout", "10000", "--json", "--format", format);

        using (var message = new Message([Encoding.UTF8.GetBytes("γ"), "tab\there"u8.ToArray(), [0x61, 0xFF, 0x62], []]))
            peer.Send(message);

        var result = await recv.ResultAsync(receiving);
        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.StdoutLines);
        Assert.Equal(expected, line);
        using var parsed = JsonDocument.Parse(line); // valid JSON for any tool
        Assert.Equal(13, parsed.RootElement.GetProperty("bytes").GetInt32());
    }

    [Theory]
    [InlineData("expair: send: option --format must be text, hex or base64, not 'xml' (see 'expair send --help')", "--format", "xml", "x")]
    [InlineData("expair: send: message 2: 'zz' is not hex (two digits 0-9a-f per byte) (see 'expair send --help')", "--format", "hex", "00ff", "zz")]
    [InlineData("expair: send: message 1: '@@@' is not base64 (see 'expair send --help')", "--format", "base64", "@@@")]
    public async Task Send_BadFormatOrPayload_Exit2BeforeSending(string expected, params string[] args)
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());

        var send = await CliRunner.RunAsync(["send", "--connect", endpoint, .. args]);

        Assert.True(send.ExitCode == 2, send.ToString());
        Assert.Equal([expected], send.StderrLines);
        Assert.False(peer.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Send_BadStdinLine_Exit2NamingTheLine()
    {
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());

        var send = await CliRunner.RunWithStdinAsync("6869\nnot hex\n", "send", "--connect", endpoint, "--format", "hex");

        Assert.True(send.ExitCode == 2, send.ToString());
        Assert.Equal(["expair: send: line 2 of stdin: 'not hex' is not hex (two digits 0-9a-f per byte) (1 sent)"], send.StderrLines);
        Assert.Equal("hi", peer.ReceiveString());
    }

    /// <summary>An endless second line: send refuses it once it passes 64 MiB, having read little more than that.</summary>
    [Fact]
    public async Task Send_StdinLineOverTheLimit_Exit2NamingTheLine_MemoryBounded()
    {
        const int Limit = 64 * 1024 * 1024;
        using var peer = NewPeer();
        var endpoint = peer.Bind(NewInProc());
        var stdin = new EndlessLineStream("hello\n"u8.ToArray());

        var send = await CliRunner.RunWithStdinAsync(stdin, "send", "--connect", endpoint);

        Assert.True(send.ExitCode == 2, send.ToString());
        Assert.Equal([$"expair: send: line 2 of stdin: longer than {Limit} bytes, the most a line may hold (1 sent)"], send.StderrLines);
        Assert.Equal("hello", peer.ReceiveString());
        Assert.InRange(stdin.Served, Limit, Limit + 6 + 128 * 1024); // stopped within a read or two of the limit
    }

    /// <summary>A stream that serves <paramref name="prefix"/>, then the letter a for ever, counting what it served.</summary>
    private sealed class EndlessLineStream(byte[] prefix) : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var rest = prefix.AsSpan((int)Math.Min(Served, prefix.Length));
            var fromPrefix = Math.Min(rest.Length, buffer.Length);
            rest[..fromPrefix].CopyTo(buffer);
            buffer[fromPrefix..].Fill((byte)'a');
            Served += buffer.Length;
            return buffer.Length;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static string Encode(byte[] frame, string format) => format == "hex" ? Convert.ToHexStringLower(frame) : Convert.ToBase64String(frame);

    private static byte[] Decode(string text, string format) => format == "hex" ? Convert.FromHexString(text) : Convert.FromBase64String(text);
}
