using System.Buffers;
using System.Net.Sockets;
using Expair.Protocol;
using Expair.Protocol.Mechanisms;

namespace Expair.Interop.Tests;

/// <summary>
/// A minimal, blocking ZMTP peer around one <see cref="IMechanism"/>, for testing PLAIN and CURVE against the
/// real libzmq before the engine runs them: it sends the greeting, drives the mechanism's commands through
/// command frames, and sends and receives messages through the mechanism's frame transform (CURVE MESSAGEs go
/// in data frames, as libzmq sends them). Every read has a timeout, so a stuck handshake fails the test.
/// </summary>
internal sealed class RawMechanismPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    public RawMechanismPeer(Socket connected, IMechanism mechanism)
    {
        _socket = connected;
        _socket.ReceiveTimeout = 10_000;
        _stream = new NetworkStream(_socket, ownsSocket: true);
        Mechanism = mechanism;
    }

    public IMechanism Mechanism { get; }

    public PeerGreeting PeerGreeting { get; private set; }

    /// <summary>Connects to <paramref name="endpoint"/> (tcp://127.0.0.1:port or ipc:///path).</summary>
    public static RawMechanismPeer Connect(string endpoint, IMechanism mechanism)
    {
        if (endpoint.StartsWith("ipc://", StringComparison.Ordinal))
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            unix.Connect(new UnixDomainSocketEndPoint(endpoint["ipc://".Length..]));
            return new RawMechanismPeer(unix, mechanism);
        }
        var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(System.Net.IPAddress.Loopback, port);
        return new RawMechanismPeer(socket, mechanism);
    }

    /// <summary>
    /// Runs the handshake to its end: Ready, or Failed after this side sent ERROR. A server asks
    /// <paramref name="authenticate"/> (null allows). Throws <see cref="ProtocolViolationException"/> when the peer
    /// refuses or breaks the protocol.
    /// </summary>
    public void Handshake(Func<PeerIdentity, string?>? authenticate = null)
    {
        var greeting = new byte[Greeting.Size];
        Greeting.Write(greeting, Mechanism.Name, Mechanism.AsServer);
        _stream.Write(greeting);
        ReadExactly(greeting);
        if (Greeting.Check(greeting, out var peer) != GreetingStatus.Complete)
            throw new ProtocolViolationException("bad greeting");
        if (peer.Mechanism != Mechanism.Name)
            throw new ProtocolViolationException($"peer uses {peer.Mechanism}");
        Mechanism.CheckPeerGreeting(peer);
        PeerGreeting = peer;

        while (true)
        {
            while (Mechanism.CommandDue != CommandDue.None)
                WriteCommand();
            switch (Mechanism.Status)
            {
                case MechanismStatus.Ready:
                case MechanismStatus.Failed:
                    return;
                case MechanismStatus.AuthenticationNeeded:
                    Mechanism.CompleteAuthentication(authenticate?.Invoke(Mechanism.Identity!));
                    continue;
            }
            var (flags, body) = ReadFrame();
            if ((flags & FrameFlags.Command) == 0)
                throw new ProtocolViolationException("data frame during the handshake");
            if (Commands.TryParse(body, out var name, out var data) && Commands.IsNamed(name, Commands.Error))
                throw ProtocolViolationException.FromPeerError(Commands.ParseErrorReason(data));
            try
            {
                Mechanism.ReceiveCommand(body);
            }
            catch (ProtocolViolationException e) when (e.PeerError is null)
            {
                throw new ProtocolViolationException($"{e.Message} [flags 0x{(byte)flags:X2}, body {Convert.ToHexString(body)}]");
            }
        }
    }

    /// <summary>Sends one message; each frame wrapped by the mechanism and sent in a data frame (MORE stays inside).</summary>
    public void Send(params byte[][] frames)
    {
        for (var i = 0; i < frames.Length; i++)
            SendFrame(frames[i], i < frames.Length - 1 ? FrameFlags.More : FrameFlags.None);
    }

    public void SendFrame(ReadOnlySpan<byte> payload, FrameFlags flags)
    {
        var header = new byte[FrameHeader.MaxSize];
        if (!Mechanism.TransformsFrames)
        {
            // NULL and PLAIN: the frame goes as it is (IMechanism.TransformsFrames).
            _stream.Write(header, 0, FrameHeader.Write(header, payload.Length, (flags & FrameFlags.More) != 0, (flags & FrameFlags.Command) != 0));
            _stream.Write(payload);
            return;
        }
        var wire = new byte[Mechanism.WrappedLength(payload.Length)];
        Mechanism.WrapFrame(flags, payload, wire);
        _stream.Write(header, 0, FrameHeader.Write(header, wire.Length, more: false));
        _stream.Write(wire);
    }

    /// <summary>Receives one frame and unwraps it: its payload and real flags.</summary>
    public (byte[] Payload, FrameFlags Flags) ReceiveFrame()
    {
        var (frameFlags, wire) = ReadFrame();
        if (!Mechanism.TransformsFrames)
            return (wire, frameFlags);
        var payload = new byte[Mechanism.UnwrappedLength(wire.Length)];
        var length = Mechanism.UnwrapFrame(wire, payload, out var flags);
        return (payload[..length], flags);
    }

    /// <summary>Receives one whole message, skipping the commands (PING/PONG) that arrive between.</summary>
    public List<byte[]> Receive()
    {
        var frames = new List<byte[]>();
        while (true)
        {
            var (payload, flags) = ReceiveFrame();
            if ((flags & FrameFlags.Command) != 0)
                continue;
            frames.Add(payload);
            if ((flags & FrameFlags.More) == 0)
                return frames;
        }
    }

    /// <summary>Whether the peer closed the connection (reads until it does, or the timeout).</summary>
    public bool PeerClosed()
    {
        var buffer = new byte[256];
        try
        {
            while (_stream.Read(buffer) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        Mechanism.Dispose();
    }

    private void WriteCommand()
    {
        var body = new ArrayBufferWriter<byte>();
        Mechanism.WriteCommand(body);
        var header = new byte[FrameHeader.MaxSize];
        _stream.Write(header, 0, FrameHeader.Write(header, body.WrittenCount, more: false, command: true));
        _stream.Write(body.WrittenSpan);
    }

    private (FrameFlags Flags, byte[] Body) ReadFrame()
    {
        var header = new byte[FrameHeader.MaxSize];
        ReadExactly(header.AsSpan(0, 2));
        var headerLength = (header[0] & (byte)FrameFlags.LongSize) != 0 ? 9 : 2;
        if (headerLength == 9)
            ReadExactly(header.AsSpan(2, 7));
        if (FrameHeader.TryParse(header.AsSpan(0, headerLength), 1 << 26, out var parsed) != OperationStatus.Done)
            throw new ProtocolViolationException("bad frame header");
        var body = new byte[parsed.BodyLength];
        ReadExactly(body);
        return (parsed.Flags, body);
    }

    private void ReadExactly(Span<byte> buffer)
    {
        try
        {
            _stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new ProtocolViolationException("the peer closed the connection");
        }
    }
}
