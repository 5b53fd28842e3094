using System.Net;
using System.Net.Sockets;

namespace Expair.Interop.Tests;

/// <summary>
/// A byte-for-byte relay for one connection (tcp or ipc) that records what passes each way, on threads of its own
/// with blocking calls: unlike <see cref="RecordingProxy"/> it needs no thread-pool thread, so it keeps relaying
/// while a test starves the pool.
/// </summary>
internal sealed class ThreadedRelay : IDisposable
{
    private readonly Socket _listener;
    private readonly EndPoint _target;
    private readonly Lock _lock = new();
    private readonly MemoryStream _fromClient = new(), _fromTarget = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Thread> _threads = [];

    /// <param name="target">The endpoint to relay to: <c>tcp://127.0.0.1:port</c> or <c>ipc:///path</c>.</param>
    /// <param name="ipcEndpoint">For ipc, the endpoint to listen on; ignored for tcp (a free loopback port is used).</param>
    public ThreadedRelay(string target, string ipcEndpoint)
    {
        if (target.StartsWith("tcp://", StringComparison.Ordinal))
        {
            _target = new IPEndPoint(IPAddress.Loopback, int.Parse(target[(target.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Endpoint = $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";
        }
        else
        {
            _target = new UnixDomainSocketEndPoint(target["ipc://".Length..]);
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(ipcEndpoint["ipc://".Length..]));
            Endpoint = ipcEndpoint;
        }
        _listener.Listen(1);
        Start(AcceptOne);
    }

    /// <summary>Where the client connects.</summary>
    public string Endpoint { get; }

    /// <summary>What the client sent so far.</summary>
    public byte[] SentByClient
    {
        get { lock (_lock) return _fromClient.ToArray(); }
    }

    /// <summary>What the target sent so far.</summary>
    public byte[] SentByTarget
    {
        get { lock (_lock) return _fromTarget.ToArray(); }
    }

    private void AcceptOne()
    {
        Socket client, target;
        try
        {
            client = _listener.Accept();
            target = new Socket(_target.AddressFamily, SocketType.Stream, _target is IPEndPoint ? ProtocolType.Tcp : ProtocolType.Unspecified);
            target.Connect(_target);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return; // disposed before a client came
        }
        lock (_lock)
            _sockets.AddRange([client, target]);
        Start(() => Pump(client, target, _fromClient));
        Start(() => Pump(target, client, _fromTarget));
    }

    private void Pump(Socket from, Socket to, MemoryStream record)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = from.Receive(buffer)) > 0)
            {
                lock (_lock)
                    record.Write(buffer, 0, read);
                to.Send(buffer.AsSpan(0, read));
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // One side closed, or the relay is disposed.
        }
    }

    private void Start(Action work)
    {
        var thread = new Thread(() => work()) { IsBackground = true, Name = "relay" };
        lock (_lock)
            _threads.Add(thread);
        thread.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        Thread[] threads;
        lock (_lock)
        {
            foreach (var socket in _sockets)
                socket.Dispose();
            threads = [.. _threads];
        }
        foreach (var thread in threads)
            thread.Join();
    }
}
