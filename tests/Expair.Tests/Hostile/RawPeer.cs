using System.Net.Sockets;
using Expair.Protocol;

namespace Expair.Tests.Hostile;

/// <summary>A scripted ZMTP peer over a raw TCP socket, for sending exactly the bytes a test wants.</summary>
internal sealed class RawPeer : IDisposable
{
    private readonly Socket _socket;

    private RawPeer(Socket socket) => _socket = socket;

    public static async Task<RawPeer> ConnectAsync(string tcpEndpoint)
    {
        var uri = new Uri(tcpEndpoint.Replace("tcp://", "http://", StringComparison.Ordinal));
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(uri.Host, uri.Port);
        return new RawPeer(socket);
    }

    /// <summary>Accepts one connection on <paramref name="listener"/>: a raw peer on the binding side.</summary>
    public static async Task<RawPeer> AcceptAsync(TcpListener listener, TimeSpan timeout) =>
        new(await listener.AcceptSocketAsync().WaitAsync(timeout));

    public System.Net.EndPoint? LocalEndPoint => _socket.LocalEndPoint;

    public Task SendAsync(byte[] bytes) => _socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>Sends end of stream (FIN) while still reading what the socket sends back.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public static byte[] Greeting(byte major = 3, byte minor = 1, string mechanism = "NULL")
    {
        var bytes = new byte[64];
        Expair.Protocol.Greeting.Write(bytes, mechanism);
        bytes[10] = major;
        bytes[11] = minor;
        return bytes;
    }

    public static byte[] Ready(string socketType)
    {
        var buffer = new byte[256];
        var length = Commands.WriteReady(buffer, [new("Socket-Type", socketType)]);
        return buffer[..length];
    }

    /// <summary>Reads until the peer closes; returns everything it sent. Throws if it stays open past the timeout.</summary>
    public async Task<byte[]> ReadUntilClosedAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            }
            catch (SocketException)
            {
                return [.. received]; // reset counts as closed
            }
            if (read == 0)
                return [.. received];
            received.AddRange(buffer.AsSpan(0, read));
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[count];
        var offset = 0;
        while (offset < count)
        {
            var read = await _socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, cancel.Token);
            if (read == 0)
                throw new IOException($"closed after {offset} of {count} bytes");
            offset += read;
        }
        return buffer;
    }

    /// <summary>Reads one whole ZMTP frame (23/ZMTP): its flags and body.</summary>
    public async Task<(byte Flags, byte[] Body)> ReadFrameAsync(TimeSpan timeout)
    {
        var head = await ReadExactlyAsync(2, timeout);
        long length = head[1];
        if ((head[0] & 0x02) != 0)
        {
            var rest = await ReadExactlyAsync(7, timeout);
            length = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian([head[1], .. rest]);
        }
        return (head[0], length == 0 ? [] : await ReadExactlyAsync(checked((int)length), timeout));
    }

    public void Dispose() => _socket.Dispose();
}
