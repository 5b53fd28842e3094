using Expair.Core;
using Expair.Internal;
using Expair.Transport.InProc;

namespace Expair.Engine;

/// <summary>
/// The connecting side of inproc. Its double queue is shared with the binder: our outbound pipe is the
/// binder's inbound, so the capacity between two inproc sockets is exactly our send high-water mark plus
/// the binder's receive high-water mark, as in libzmq. Connect before bind works: the pipes exist from
/// Connect and the link forms when the name is bound.
/// </summary>
internal sealed class InProcConnector : IEndpointHandler, IInProcConnector, IPeer
{
    private readonly string _name;
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly Lock _lock = new();
    private PeerPipes _pipes;
    private InProcBinder? _binder;
    private bool _stopped;

    public InProcConnector(string name, PairCore core, SocketSettings options, SocketDiagnostics diagnostics)
    {
        _name = name;
        _core = core;
        _options = options;
        _diagnostics = diagnostics;
        _pipes = NewPipes();
    }

    public string Endpoint => "inproc://" + _name;

    public string Description => Endpoint;

    public SocketSettings Options => _options;

    /// <summary>The pipes as the binder sees them: its outbound is our inbound.</summary>
    public PeerPipes PipesForBinder
    {
        get { lock (_lock) return new PeerPipes(_pipes.Inbound, _pipes.Outbound); }
    }

    public void Start()
    {
        var pipes = _pipes;
        _core.RequestSlot(this, () => pipes);
        _diagnostics.Connecting();
        InProcRegistry.Connect(_name, this);
    }

    void IPeer.OnGranted(PeerPipes pipes)
    {
    }

    void IPeer.OnRefused(string reason)
    {
    }

    /// <summary>The binder took us as its peer: size the shared pipes for both ends' high-water marks.</summary>
    public void Linked(InProcBinder binder, SocketSettings binderOptions)
    {
        lock (_lock)
        {
            _binder = binder;
            _pipes.Outbound.SetCapacity(Sum(_options.SendHighWaterMark, binderOptions.ReceiveHighWaterMark));
            _pipes.Inbound.SetCapacity(Sum(binderOptions.SendHighWaterMark, _options.ReceiveHighWaterMark));
        }
        // Inproc has no wire handshake: the link is the connection and the handshake at once.
        _diagnostics.Connected(Endpoint);
        _diagnostics.HandshakeSucceeded(Endpoint);
    }

    /// <summary>
    /// The binder closed. What it sent us stays readable; what it had not read is gone with it. We take fresh
    /// pipes and wait for the name to be bound again, as a tcp connector would reconnect.
    /// </summary>
    public void BinderGone()
    {
        PeerPipes fresh;
        lock (_lock)
        {
            if (_stopped)
                return;
            _binder = null;
            fresh = _pipes = NewPipes();
        }
        _core.Detach(this);
        _diagnostics.Disconnected(Endpoint, "peer closed the connection");
        _core.RequestSlot(this, () => fresh);
        InProcRegistry.Connect(_name, this);
    }

    /// <summary>
    /// Once linked, our outbound pipe is the binder's inbound queue, so everything is delivered. Before the
    /// name is bound, linger waits for a binder to appear (linking resizes the pipe, which sets its signal).
    /// </summary>
    public async Task<bool> FlushAsync(Deadline deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Delivered(out var outbound, out var seen) is { } delivered)
                return delivered;
            if (!await PipeFlush.WaitAsync(outbound.Writable, seen, deadline, cancellationToken).ConfigureAwait(false))
                return false;
        }
    }

    public bool Flush(Deadline deadline)
    {
        while (true)
        {
            if (Delivered(out var outbound, out var seen) is { } delivered)
                return delivered;
            if (!outbound.Writable.Wait(seen, deadline))
                return false;
        }
    }

    /// <summary>True when linked or nothing waits; null when a wait on <paramref name="outbound"/> past <paramref name="seen"/> is needed.</summary>
    private bool? Delivered(out Pipe outbound, out long seen)
    {
        lock (_lock)
        {
            outbound = _pipes.Outbound;
            seen = 0;
            if (_binder is not null)
                return true;
        }
        seen = outbound.Writable.Version;
        if (outbound.IsIdleElseWatch() || Volatile.Read(ref _binder) is not null)
            return true; // nothing waiting, or a binder linked after our look: delivered
        return null;
    }

    public bool IsConnected
    {
        get { lock (_lock) return _binder is not null; }
    }

    public void Close()
    {
        InProcBinder? binder;
        PeerPipes pipes;
        lock (_lock)
        {
            _stopped = true;
            binder = _binder;
            pipes = _pipes;
        }
        InProcRegistry.CancelConnect(_name, this);
        // Linked, what we sent is already in the binder's inbound queue and stays readable there. Never
        // linked, nobody will read it: it is discarded (and reported) like a departed peer's queue.
        pipes.Outbound.CloseWriter();
        if (binder is not null)
            _diagnostics.Disconnected(Endpoint, "disconnecting");
        _core.Detach(this, discardOutbound: binder is null);
        binder?.ConnectorGone(this);
    }

    private PeerPipes NewPipes() =>
        new(new Pipe(_options.SendHighWaterMark, writtenOneByOne: true), new Pipe(_options.ReceiveHighWaterMark, writtenOneByOne: true));

    /// <summary>Two high-water marks added; 0 (no limit) on either side means no limit.</summary>
    private static int Sum(int a, int b) => a == 0 || b == 0 ? 0 : (int)Math.Min(int.MaxValue, (long)a + b);
}
