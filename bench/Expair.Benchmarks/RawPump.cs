using System.Net;
using System.Net.Sockets;
using Expair.Cli.Bench;

namespace Expair.Benchmarks;

/// <summary>
/// The ceiling: a plain byte pump over loopback TCP (Reno congestion control) or a unix socket (1 MiB send buffer),
/// no framing, no queue, each tuned as Expair tunes its own. The sender writes every
/// byte of COUNT SIZE-byte payloads, packing small ones into 64 KiB writes (what a batching engine does at best);
/// the receiver reads into a 256 KiB buffer, clocks from its first bytes, and acknowledges with one byte.
/// </summary>
internal static class RawPump
{
    private const int BatchBytes = 64 * 1024;
    private const int ReadBytes = 256 * 1024;

    public static string Run(string transport, int size, int count, TimeSpan timeout)
    {
        var ipcPath = Path.Combine(Path.GetTempPath(), $"expair-raw-{Guid.NewGuid():N}.sock");
        EndPoint endpoint = transport == "tcp" ? new IPEndPoint(IPAddress.Loopback, 0) : new UnixDomainSocketEndPoint(ipcPath);
        var protocol = transport == "tcp" ? ProtocolType.Tcp : ProtocolType.Unspecified;
        try
        {
            using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, protocol);
            listener.Bind(endpoint);
            listener.Listen(1);
            using var client = new Socket(endpoint.AddressFamily, SocketType.Stream, protocol);
            client.Connect(listener.LocalEndPoint!);
            using var server = listener.Accept();
            foreach (var socket in new[] { client, server })
            {
                socket.ReceiveTimeout = socket.SendTimeout = (int)timeout.TotalMilliseconds;
                if (transport == "tcp")
                {
                    socket.NoDelay = true; // as libzmq sets TCP_NODELAY
                    // As Expair does on loopback (TcpTransport.UnpaceLoopback): the ceiling is what the machine
                    // moves, not what a pacing congestion control (BBR, where it is the default) lets through.
                    if (OperatingSystem.IsLinux())
                        socket.SetRawSocketOption(6, 13, "reno\0"u8); // IPPROTO_TCP, TCP_CONGESTION
                }
                else
                {
                    socket.SendBufferSize = 1024 * 1024; // as Expair's ipc sockets (StreamTransport.UnixSendBufferSize)
                }
            }
            Exception? senderError = null;
            var sender = new Thread(() =>
            {
                try
                {
                    Send(client, size, count);
                }
                catch (SocketException e)
                {
                    senderError = e;
                }
            }) { IsBackground = true, Name = "raw sender" };
            sender.Start();
            var measured = Receive(server, (long)size * count);
            sender.Join(timeout);
            if (senderError is not null)
                throw new BenchFailedException($"raw sender: {senderError.Message}", senderError);
            return SummaryLine.Throughput($"raw_{transport}", null, size, count, measured, "raw");
        }
        catch (SocketException e)
        {
            throw new BenchFailedException($"raw {transport}: {e.Message}", e);
        }
        finally
        {
            File.Delete(ipcPath);
        }
    }

    private static void Send(Socket socket, int size, int count)
    {
        // Small payloads are packed into one write; a large one is written on its own.
        var perBatch = Math.Max(1, BatchBytes / size);
        var buffer = new byte[perBatch * size];
        var sent = 0;
        while (sent < count)
        {
            var messages = Math.Min(perBatch, count - sent);
            for (var i = 0; i < messages; i++)
                PayloadWriter.Fill(buffer.AsSpan(i * size, size), (byte)(sent + i));
            var bytes = buffer.AsSpan(0, messages * size);
            while (!bytes.IsEmpty)
                bytes = bytes[socket.Send(bytes)..];
            sent += messages;
        }
        Span<byte> ack = stackalloc byte[1];
        if (socket.Receive(ack) != 1)
            throw new SocketException((int)SocketError.ConnectionReset);
    }

    private static Measurement Receive(Socket socket, long total)
    {
        var buffer = new byte[ReadBytes];
        long received = socket.Receive(buffer);
        var meter = Measurement.Start();
        while (received < total)
        {
            var read = socket.Receive(buffer);
            if (read == 0)
                throw new BenchFailedException($"raw sender closed after {received} of {total} bytes");
            received += read;
        }
        var measured = meter.Stop();
        socket.Send([1]);
        return measured;
    }
}
