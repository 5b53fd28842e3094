using Expair.Core;
using Expair.Engine;
using Expair.Internal;
using Expair.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Expair;

/// <summary>
/// A ZeroMQ PAIR socket (31/EXPAIR): an exclusive, full-duplex line to exactly one peer, over
/// <c>tcp://</c>, <c>ipc://</c> or <c>inproc://</c>, wire-compatible with libzmq PAIR sockets (ZMTP 3.1).
/// A socket has one endpoint: call <see cref="Bind"/> or <see cref="Connect"/> once. One thread may send
/// while another receives; concurrent senders never interleave the frames of their messages.
/// </summary>
public sealed partial class PairSocket : IDisposable, IAsyncDisposable, ISocketProbe
{
    private readonly Lock _stateLock = new();
    private readonly PairCore _core;
    private readonly SocketDiagnostics _diagnostics;
    private readonly SocketSettings _settings;
    private readonly SocketSecurity _security; // Options.Security as made for this socket alone (ForSocket)
    private IEndpointHandler? _endpoint;
    private bool _bound;
    private int _disposeState; // 0 open, 1 disposing (lingering), 2 disposed
    private TaskCompletionSource? _disposal; // set by the first Dispose; completes when the socket is closed

    /// <summary>Creates an unconnected socket with <paramref name="options"/> (or <see cref="PairSocketOptions.Default"/>).</summary>
    public PairSocket(PairSocketOptions? options = null)
    {
        Options = options ?? PairSocketOptions.Default;
        var logger = Options.LoggerFactory?.CreateLogger("Expair.PairSocket");
        _diagnostics = new SocketDiagnostics(logger is null ? NullLogger.Instance : new EndpointScopedLogger(logger, () => _diagnostics?.Endpoint));
        _security = Options.Security.ForSocket();
        _settings = Options.ToSettings(_security);
        _core = new PairCore(_settings, _diagnostics);
        _diagnostics.Metrics.Track(_core.ReadTotals);
    }

    /// <summary>The settings this socket was created with.</summary>
    public PairSocketOptions Options { get; }

    /// <summary>The endpoint this socket is bound or connected to (for a bind, with the real port), or null.</summary>
    public string? Endpoint
    {
        get { lock (_stateLock) return _endpoint?.Endpoint; }
    }

    /// <summary>True when a peer is attached: for a connecting socket, from <see cref="Connect"/> on (its queue exists even before the connection does).</summary>
    public bool HasPeer => _core.HasPeer;

    IConnectionProbe? ISocketProbe.Connection => (_core.CurrentPeer as IProbedPeer)?.Connection;

    Pipe? ISocketProbe.Outbound => _core.Outbound;

    /// <summary>
    /// True while a connection to the peer is up and handshaken (inproc: while linked). Unlike
    /// <see cref="HasPeer"/>, a connecting socket whose connection is down reports false.
    /// </summary>
    public bool IsConnected
    {
        get { lock (_stateLock) return _endpoint?.IsConnected ?? false; }
    }

    /// <summary>
    /// Binds the socket's one endpoint and returns it as bound: <c>tcp://127.0.0.1:*</c> and <c>tcp://*:0</c>
    /// pick a free port, which the returned string names.
    /// </summary>
    /// <exception cref="ArgumentException">The endpoint is malformed; the message says how.</exception>
    /// <exception cref="EndpointException">The address is in use or not available.</exception>
    /// <exception cref="InvalidOperationException">The socket already has an endpoint.</exception>
    public string Bind(string endpoint)
    {
        ThrowIfClosed();
        var parsed = Transport.Endpoint.Parse(endpoint, forBind: true);
        lock (_stateLock)
        {
            ThrowIfClosed();
            ThrowIfHasEndpoint(endpoint, "bind");
            _core.ClearRefusal();
            IEndpointHandler handler;
            try
            {
                handler = StartBinding(parsed);
            }
            catch (TransportException e)
            {
                _diagnostics.BindFailed(endpoint, e.Message);
                throw new EndpointException(e.Endpoint, e.Reason, e.InnerException);
            }
            _endpoint = handler;
            _bound = true;
            return handler.Endpoint;
        }
    }

    private IEndpointHandler StartBinding(Transport.Endpoint parsed)
    {
        if (parsed.Kind == TransportKind.InProc)
        {
            var binder = new InProcBinder(parsed.Address, _core, _settings, _diagnostics);
            _diagnostics.Endpoint = binder.Endpoint;
            binder.Start();
            return binder;
        }
        var listener = new StreamListener(parsed, _core, _settings, _diagnostics);
        _diagnostics.Endpoint = listener.Endpoint;
        listener.Start();
        return listener;
    }

    /// <summary>
    /// Connects the socket's one endpoint. Returns at once: the connection is made (and remade after a loss)
    /// in the background, and messages sent meanwhile wait in the send queue, up to the high-water mark.
    /// </summary>
    /// <exception cref="ArgumentException">The endpoint is malformed; the message says how.</exception>
    /// <exception cref="InvalidOperationException">The socket already has an endpoint.</exception>
    public void Connect(string endpoint)
    {
        ThrowIfClosed();
        var parsed = Transport.Endpoint.Parse(endpoint, forBind: false);
        lock (_stateLock)
        {
            ThrowIfClosed();
            ThrowIfHasEndpoint(endpoint, "connect to");
            _core.ClearRefusal();
            IEndpointHandler connector = parsed.Kind == TransportKind.InProc
                ? new InProcConnector(parsed.Address, _core, _settings, _diagnostics)
                : new StreamConnector(parsed, _core, _settings, _diagnostics, ForgetEndpoint);
            _endpoint = connector;
            _diagnostics.Endpoint = connector.Endpoint;
            connector.Start();
            _bound = false;
        }
    }

    /// <summary>A connector that stopped for good (reconnecting is off) frees the socket's one endpoint.</summary>
    private void ForgetEndpoint(IEndpointHandler handler)
    {
        lock (_stateLock)
        {
            if (ReferenceEquals(_endpoint, handler))
                _endpoint = null;
        }
    }

    /// <summary>Closes the bound endpoint and its peer's connection; the socket can then bind or connect again.</summary>
    /// <exception cref="InvalidOperationException">The socket is not bound to <paramref name="endpoint"/>.</exception>
    public void Unbind(string endpoint) => Release(endpoint, bound: true);

    /// <summary>
    /// Disconnects from <paramref name="endpoint"/>. Messages still queued for the peer are discarded; those
    /// that already arrived stay readable. The socket can then bind or connect again.
    /// </summary>
    /// <exception cref="InvalidOperationException">The socket is not connected to <paramref name="endpoint"/>.</exception>
    public void Disconnect(string endpoint) => Release(endpoint, bound: false);

    private void Release(string endpoint, bool bound)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        IEndpointHandler handler;
        lock (_stateLock)
        {
            ThrowIfClosed();
            if (_endpoint is null || _bound != bound || !SameEndpoint(endpoint, _endpoint.Endpoint, bound))
            {
                var what = bound ? "bound to" : "connected to";
                throw new InvalidOperationException(_endpoint is null
                    ? $"Cannot {(bound ? "unbind" : "disconnect")} '{endpoint}': the socket has no endpoint."
                    : $"Cannot {(bound ? "unbind" : "disconnect")} '{endpoint}': the socket is {(_bound ? "bound to" : "connected to")} '{_endpoint.Endpoint}', not {what} it.");
            }
            handler = _endpoint;
            _endpoint = null;
        }
        handler.Close(); // joins the connections' own threads on this one
    }

    private static bool SameEndpoint(string given, string actual, bool bound)
    {
        if (string.Equals(given, actual, StringComparison.Ordinal))
            return true;
        // "tcp://*:5555" and "tcp://127.0.0.1:*" name the endpoint as it was asked for, not as bound.
        var a = Transport.Endpoint.Parse(given, bound);
        var b = Transport.Endpoint.Parse(actual, bound);
        return a.Kind == b.Kind && (a.Address == b.Address || (a.Host == b.Host && (a.Port == 0 || a.Port == b.Port)));
    }

    private void ThrowIfHasEndpoint(string endpoint, string verb)
    {
        if (_endpoint is null)
            return;
        throw new InvalidOperationException(
            $"Cannot {verb} '{endpoint}': this PAIR socket is already {(_bound ? "bound to" : "connected to")} '{_endpoint.Endpoint}'. " +
            $"A PAIR socket has exactly one endpoint and one peer; call {(_bound ? "Unbind" : "Disconnect")} first, or use another PairSocket.");
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposeState) != 0, this);
}
