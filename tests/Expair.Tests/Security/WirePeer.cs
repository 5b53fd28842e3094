using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Tests.Security;

/// <summary>
/// A raw ZMTP peer over tcp or ipc for the security tests, connecting or accepted: it sends exactly the greeting,
/// command frames and data frames a test scripts and reads what the socket answers. Every read has a timeout, so a
/// socket that hangs fails the test instead of stalling it.
/// </summary>
internal sealed class WirePeer(Socket socket) : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static async Task<WirePeer> ConnectAsync(string endpoint)
    {
        var (socket, address) = Open(endpoint);
        await socket.ConnectAsync(address).WaitAsync(Patience);
        return new WirePeer(socket);
    }

    /// <summary>An unconnected socket for <paramref name="endpoint"/> (tcp://host:port or ipc:///path) and its address.</summary>
    public static (Socket Socket, EndPoint Address) Open(string endpoint)
    {
        if (endpoint.StartsWith("ipc://", StringComparison.Ordinal))
            return (new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified), new UnixDomainSocketEndPoint(endpoint["ipc://".Length..]));
        var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return (new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }, new IPEndPoint(IPAddress.Loopback, port));
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
            bytes = bytes[await socket.SendAsync(bytes, SocketFlags.None)..];
    }

    /// <summary>Sends end of stream (FIN) while still reading what the socket sends back.</summary>
    public void ShutdownSend() => socket.Shutdown(SocketShutdown.Send);

    public Task SendGreetingAsync(string mechanism, bool asServer, byte major = Greeting.MajorVersion)
    {
        var greeting = new byte[Greeting.Size];
        Greeting.Write(greeting, mechanism, asServer);
        greeting[10] = major;
        return SendAsync(greeting);
    }

    /// <summary>Sends one frame: its header (short or long form as the length needs) and body.</summary>
    public Task SendFrameAsync(ReadOnlySpan<byte> body, bool command = false, bool more = false)
    {
        var frame = new byte[FrameHeader.MaxSize + body.Length];
        var header = FrameHeader.Write(frame, body.Length, more, command);
        body.CopyTo(frame.AsSpan(header));
        return SendAsync(frame.AsMemory(0, header + body.Length));
    }

    public Task SendCommandAsync(ReadOnlySpan<byte> body) => SendFrameAsync(body, command: true);

    public async Task<PeerGreeting> ReadGreetingAsync()
    {
        var bytes = await ReadExactlyAsync(Greeting.Size);
        Assert.Equal(GreetingStatus.Complete, Greeting.Check(bytes, out var greeting));
        return greeting;
    }

    /// <summary>Reads one whole frame (23/ZMTP): whether it is a command, its MORE flag, its body.</summary>
    public async Task<(bool Command, bool More, byte[] Body)> ReadFrameAsync()
    {
        var head = await ReadExactlyAsync(2);
        long length = head[1];
        if ((head[0] & (byte)FrameFlags.LongSize) != 0)
        {
            var rest = await ReadExactlyAsync(7);
            length = BinaryPrimitives.ReadInt64BigEndian([head[1], .. rest]);
        }
        var body = length == 0 ? [] : await ReadExactlyAsync(checked((int)length));
        return ((head[0] & (byte)FrameFlags.Command) != 0, (head[0] & (byte)FrameFlags.More) != 0, body);
    }

    /// <summary>Reads one command frame and checks its name.</summary>
    public async Task<byte[]> ReadCommandAsync(string name)
    {
        var (command, _, body) = await ReadFrameAsync();
        Assert.True(command, $"expected the {name} command, got a data frame");
        Assert.True(MechanismCommands.HasName(body, name), $"expected {name}, got {MechanismCommands.NameOf(body)}");
        return body;
    }

    /// <summary>
    /// Reads (and drops) whatever comes until the socket closes the connection; fails if it is still open after
    /// <see cref="Patience"/>. A reset counts as closed.
    /// </summary>
    public async Task AssertClosedByPeerAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // reset: closed
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the socket kept the connection open for {Patience.TotalSeconds} s");
        }
    }

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[count];
        var offset = 0;
        while (offset < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, timeout.Token);
            if (read == 0)
                throw new IOException($"closed after {offset} of {count} bytes");
            offset += read;
        }
        return buffer;
    }

    public void Dispose() => socket.Dispose();
}

/// <summary>A raw listener on tcp (loopback, any port) or ipc (a fresh path) that hands out <see cref="WirePeer"/>s.</summary>
internal sealed class WireListener : IDisposable
{
    private readonly Socket _socket;

    public WireListener(string transport)
    {
        Endpoint = transport == "tcp" ? "tcp://127.0.0.1:0" : $"ipc:///tmp/expair-wire-{Guid.NewGuid():N}.sock";
        (_socket, var address) = WirePeer.Open(Endpoint);
        _socket.Bind(address);
        _socket.Listen(16);
        if (transport == "tcp")
            Endpoint = $"tcp://127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}";
    }

    public string Endpoint { get; }

    public async Task<WirePeer> AcceptAsync() => new(await _socket.AcceptAsync().WaitAsync(WirePeer.Patience));

    public void Dispose()
    {
        _socket.Dispose();
        if (Endpoint.StartsWith("ipc://", StringComparison.Ordinal))
            File.Delete(Endpoint["ipc://".Length..]);
    }
}
