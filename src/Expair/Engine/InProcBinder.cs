using Expair.Core;
using Expair.Internal;
using Expair.Transport.InProc;

namespace Expair.Engine;

/// <summary>
/// The binding side of inproc. Each arriving connector asks <see cref="PairCore"/> for the PAIR slot like a
/// tcp peer would: the first gets it, later ones wait in line until it frees.
/// </summary>
internal sealed class InProcBinder : IEndpointHandler, IInProcBinder
{
    private readonly string _name;
    private readonly PairCore _core;
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly Lock _lock = new();
    private readonly Dictionary<InProcConnector, Peer> _peers = [];
    private bool _stopped;

    public InProcBinder(string name, PairCore core, SocketSettings options, SocketDiagnostics diagnostics)
    {
        _name = name;
        _core = core;
        _options = options;
        _diagnostics = diagnostics;
    }

    public string Endpoint => "inproc://" + _name;

    public void Start()
    {
        var waiting = InProcRegistry.Bind(_name, this);
        _diagnostics.Listening(); // before the connectors that were waiting for the name arrive
        foreach (var connector in waiting)
            Accept(connector);
    }

    public void Accept(IInProcConnector connector)
    {
        var inproc = (InProcConnector)connector;
        var peer = new Peer(this, inproc);
        lock (_lock)
        {
            if (_stopped)
                return;
            _peers[inproc] = peer;
        }
        _diagnostics.Accepted(peer.Description);
        if (_core.RequestSlot(peer, () => inproc.PipesForBinder) == SlotResult.Refused)
        {
            lock (_lock)
                _peers.Remove(inproc);
        }
    }

    /// <summary>The connector disconnected or closed: free the slot (or its place in line).</summary>
    public void ConnectorGone(InProcConnector connector)
    {
        Peer? peer;
        lock (_lock)
            _peers.Remove(connector, out peer);
        if (peer is null)
            return;
        if (peer.IsGranted)
            _diagnostics.Disconnected(peer.Description, "peer closed the connection");
        else
            _diagnostics.ConnectionFailed(peer.Description, "peer left while waiting for the PAIR slot", handshakeComplete: false, peerError: null);
        _core.Detach(peer);
    }

    public bool IsConnected => _core.HasPeer;

    public Task<bool> FlushAsync(Deadline deadline, CancellationToken cancellationToken) => Task.FromResult(true); // our outbound pipe is the peer's inbound queue

    public bool Flush(Deadline deadline) => true;

    public void Close()
    {
        Peer[] peers;
        lock (_lock)
        {
            _stopped = true;
            peers = [.. _peers.Values];
            _peers.Clear();
        }
        InProcRegistry.Unbind(_name, this);
        foreach (var peer in peers)
        {
            // Our outbound pipe is the connector's inbound queue: what we sent stays readable there.
            if (peer.IsGranted)
                _diagnostics.Disconnected(peer.Description, "unbinding");
            _core.Detach(peer, discardOutbound: false);
            peer.Connector.PipesForBinder.Outbound.CloseWriter();
            peer.Connector.BinderGone();
        }
    }

    /// <summary>A connector as this socket's core sees it.</summary>
    private sealed class Peer(InProcBinder binder, InProcConnector connector) : IPeer
    {
        private volatile bool _granted;

        public InProcConnector Connector => connector;

        public string Description => connector.Endpoint + " (inproc connector)";

        public bool IsGranted => _granted;

        public void OnGranted(PeerPipes pipes)
        {
            _granted = true;
            binder._diagnostics.HandshakeSucceeded(Description);
            connector.Linked(binder, binder._options);
        }

        public void OnRefused(string reason)
        {
        }
    }
}
