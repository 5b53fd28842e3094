using System.Diagnostics;

namespace Expair.Cli.Tests;

/// <summary>
/// Formats where exact bytes matter, across real process boundaries: a pyzmq (libzmq) PAIR peer on the other end,
/// and recv's output piped into send's stdin.
/// </summary>
public class PeerProcessTests
{
    /// <summary>A pyzmq PAIR socket that binds, prints its endpoint, then receives (prints the frames in hex) or sends.</summary>
    private const string PyPeer = """
        import sys, zmq
        ctx = zmq.Context()
        s = ctx.socket(zmq.PAIR)
        s.linger = 10000
        s.rcvtimeo = 20000
        s.sndtimeo = 20000
        port = s.bind_to_random_port('tcp://127.0.0.1')
        print(f'tcp://127.0.0.1:{port}', flush=True)
        if sys.argv[1] == 'recv':
            print(','.join(f.hex() for f in s.recv_multipart()), flush=True)
        else:
            s.send_multipart([b'\x00\xff', b'tab\there', b''])
        s.close()
        ctx.term()
        """;

    private static async Task<(Process Process, string Endpoint)> StartPyPeerAsync(string mode)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(PyPeer);
        info.ArgumentList.Add(mode);
        var process = Process.Start(info)!;
        var endpoint = await process.StandardOutput.ReadLineAsync().WaitAsync(CliRunner.Patience);
        if (endpoint is null)
            Assert.Fail($"python did not start: {await process.StandardError.ReadToEndAsync()}");
        return (process, endpoint);
    }

    private static async Task<string> FinishPyPeerAsync(Process process)
    {
        var (exitCode, stdout, stderr) = await ProcessTests.FinishAsync(process);
        Assert.True(exitCode == 0, $"python exit {exitCode}\n{stdout}\n{stderr}");
        return stdout;
    }

    [Fact]
    public async Task SendHexMultipart_ToPyzmq_ArrivesAsTheseBytes()
    {
        var (python, endpoint) = await StartPyPeerAsync("recv");
        using (python)
        {
            var send = await CliRunner.RunAsync("send", "--connect", endpoint, "--format", "hex", "--multipart", "00ff\t610962\t");

            Assert.True(send.ExitCode == 0, send.ToString());
            Assert.Equal("00ff,610962,\n", await FinishPyPeerAsync(python));
        }
    }

    /// <summary>The real console stdin of the process: bytes that are not UTF-8 go out as they are (text format).</summary>
    [Fact]
    public async Task SendTextStdin_AsAProcess_ToPyzmq_SendsTheBytesUndecoded()
    {
        var (python, endpoint) = await StartPyPeerAsync("recv");
        using (python)
        {
            using var send = ProcessTests.Start("send", "--connect", endpoint);
            await send.StandardInput.BaseStream.WriteAsync(new byte[] { 0xFF, 0xFE, 0x00, 0x78, 0x0A });
            send.StandardInput.Close();
            var (exitCode, stdout, stderr) = await ProcessTests.FinishAsync(send);

            Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
            Assert.Equal("fffe0078\n", await FinishPyPeerAsync(python));
        }
    }

    [Fact]
    public async Task RecvJsonBase64_FromPyzmq_PrintsTheExactFrames()
    {
        var (python, endpoint) = await StartPyPeerAsync("send");
        using (python)
        {
            var recv = await CliRunner.RunAsync("recv", "--connect", endpoint, "--count", "1", "--timeout", "20000", "--json", "--format", "base64");

            Assert.True(recv.ExitCode == 0, recv.ToString());
            Assert.Equal(["""{"frames":["AP8=","dGFiCWhlcmU=",""],"bytes":10}"""], recv.StdoutLines);
            await FinishPyPeerAsync(python);
        }
    }

    /// <summary>`expair recv --format base64 | expair send --format base64 --multipart`, as two processes and a pipe.</summary>
    [Fact]
    public async Task RecvPipedIntoSend_AsProcesses_BinaryRoundTripsExactly()
    {
        var patience = TimeSpan.FromSeconds(20);
        using var source = new PairSocket(new PairSocketOptions { SendTimeout = patience, Linger = patience });
        using var sink = new PairSocket(new PairSocketOptions { ReceiveTimeout = patience });
        var from = source.Bind("tcp://127.0.0.1:*");
        var to = sink.Bind("tcp://127.0.0.1:*");
        var random = new Random(21);
        var messages = Enumerable.Range(0, 20).Select(i => Enumerable.Range(0, 1 + (i % 4)).Select(_ =>
        {
            var frame = new byte[random.Next(0, 3000)];
            random.NextBytes(frame);
            return frame;
        }).ToArray()).ToArray();

        using var recv = ProcessTests.Start("recv", "--connect", from, "--format", "base64", "--count", $"{messages.Length}", "--timeout", "20000");
        using var send = ProcessTests.Start("send", "--connect", to, "--format", "base64", "--multipart");
        var pipe = recv.StandardOutput.BaseStream.CopyToAsync(send.StandardInput.BaseStream)
            .ContinueWith(_ => send.StandardInput.Close(), TaskScheduler.Default);
        foreach (var frames in messages)
        {
            using var message = new Message(frames);
            source.Send(message);
        }

        foreach (var frames in messages)
        {
            using var got = sink.Receive();
            Assert.Equal(frames, Enumerable.Range(0, got.Count).Select(got.ToArray));
        }
        await pipe.WaitAsync(CliRunner.Patience);
        var recvResult = await ProcessTests.FinishAsync(recv);
        var sendResult = await ProcessTests.FinishAsync(send);
        Assert.True(recvResult.ExitCode == 0, recvResult.ToString());
        Assert.True(sendResult.ExitCode == 0, sendResult.ToString());
    }
}
