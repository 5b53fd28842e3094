using System.Text;
using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>libzmq PAIR sockets set up as CURVE or PLAIN servers and clients, and a monitor of their handshakes.</summary>
internal static class LibZmqSecuritySockets
{
    public static ZmqSocket CurveServer(ZmqContext context, string secretKeyZ85)
    {
        var socket = new ZmqSocket(LibZmq.PAIR, context);
        socket.SetOption(LibZmq.ZMQ_CURVE_SERVER, 1);
        socket.SetOption(LibZmq.ZMQ_CURVE_SECRETKEY, Z85.Decode(secretKeyZ85));
        return socket;
    }

    public static ZmqSocket CurveClient(ZmqContext context, string serverPublicZ85, string publicZ85, string secretZ85)
    {
        var socket = new ZmqSocket(LibZmq.PAIR, context);
        socket.SetOption(LibZmq.ZMQ_CURVE_SERVERKEY, Z85.Decode(serverPublicZ85));
        socket.SetOption(LibZmq.ZMQ_CURVE_PUBLICKEY, Z85.Decode(publicZ85));
        socket.SetOption(LibZmq.ZMQ_CURVE_SECRETKEY, Z85.Decode(secretZ85));
        return socket;
    }

    public static ZmqSocket PlainServer(ZmqContext context)
    {
        var socket = new ZmqSocket(LibZmq.PAIR, context);
        socket.SetOption(LibZmq.ZMQ_PLAIN_SERVER, 1);
        return socket;
    }

    public static ZmqSocket PlainClient(ZmqContext context, string user, string password)
    {
        var socket = new ZmqSocket(LibZmq.PAIR, context);
        socket.SetOption(LibZmq.ZMQ_PLAIN_USERNAME, Encoding.UTF8.GetBytes(user));
        socket.SetOption(LibZmq.ZMQ_PLAIN_PASSWORD, Encoding.UTF8.GetBytes(password));
        return socket;
    }

    /// <summary>A monitor of the handshake's outcomes.</summary>
    public static ZmqMonitor HandshakeMonitor(ZmqSocket socket) =>
        new(socket, LibZmq.ZMQ_EVENT_HANDSHAKE_SUCCEEDED | LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
            | LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | LibZmq.ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
}
