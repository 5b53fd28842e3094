using System.Text;

namespace Expair.Interop.Tests.Native;

/// <summary>libzmq's security options (zmq.h, 4.3), and zmq_has to ask whether it was built with CURVE.</summary>
internal static unsafe partial class LibZmq
{
    public const int ZMQ_MECHANISM = 43;
    public const int ZMQ_PLAIN_SERVER = 44;
    public const int ZMQ_PLAIN_USERNAME = 45;
    public const int ZMQ_PLAIN_PASSWORD = 46;
    public const int ZMQ_CURVE_SERVER = 47;
    public const int ZMQ_CURVE_PUBLICKEY = 48;
    public const int ZMQ_CURVE_SECRETKEY = 49;
    public const int ZMQ_CURVE_SERVERKEY = 50;
    public const int ZMQ_ZAP_DOMAIN = 55;

    public const int ZMQ_NULL = 0;
    public const int ZMQ_PLAIN = 1;
    public const int ZMQ_CURVE = 2;

    // zmq.h: the values of ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL.
    public const int ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND = 0x10000001;
    public const int ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO = 0x10000013;
    public const int ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC = 0x11000001;
    public const int ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH = 0x11000002;

    [System.Runtime.InteropServices.LibraryImport(Library, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    public static partial int zmq_has(string capability);
}

/// <summary>
/// A ZAP handler (27/ZAP) for libzmq servers: a REP socket bound at inproc://zeromq.zap.01 in the servers' context,
/// answering each request on its own thread with <c>decide(mechanism, credentials)</c>: true is 200, false 400.
/// Records the requests it saw.
/// </summary>
internal sealed class ZapHandler : IDisposable
{
    private readonly ZmqSocket _socket;
    private readonly Thread _thread;
    private readonly Func<string, IReadOnlyList<byte[]>, bool> _decide;
    private volatile bool _stop;

    public ZapHandler(ZmqContext context, Func<string, IReadOnlyList<byte[]>, bool> decide)
    {
        _decide = decide;
        _socket = new ZmqSocket(LibZmq.REP, context);
        _socket.Bind("inproc://zeromq.zap.01");
        _thread = new Thread(Serve) { IsBackground = true, Name = "ZAP handler" };
        _thread.Start();
    }

    /// <summary>Each request as (mechanism, credential frames).</summary>
    public List<(string Mechanism, byte[][] Credentials)> Requests { get; } = [];

    private void Serve()
    {
        while (!_stop)
        {
            if (!_socket.TryReceive(out var frames, 50))
                continue;
            // version, request id, domain, address, identity, mechanism, credentials...
            var mechanism = Encoding.ASCII.GetString(frames[5]);
            var credentials = frames.Skip(6).ToArray();
            lock (Requests)
                Requests.Add((mechanism, credentials));
            var allowed = _decide(mechanism, credentials);
            _socket.Send([Encoding.ASCII.GetBytes("1.0"), frames[1], Encoding.ASCII.GetBytes(allowed ? "200" : "400"),
                Encoding.ASCII.GetBytes(allowed ? "OK" : "denied"), Encoding.ASCII.GetBytes(allowed ? "user" : ""), []]);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _socket.Dispose();
    }
}
