using Expair.Core;
using Expair.Transport.InProc;
using Microsoft.Extensions.Logging;

namespace Expair.Engine;

/// <summary>
/// The binding side of inproc. Each arriving connector asks <see cref="PairCore"/> for the PAIR slot like a
/// tcp peer would: the first gets it, later ones wait in line until it frees.
/// </summary>
internal sealed class InProcBinder : IEndpointHandler, IInProcBinder
{
    private readonly string _name;
    private readonly PairCore _core;
    private readonly PairSocketOptions _options;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private readonly Dictionary<InProcConnector, Peer> _peers = [];
    private bool _stopped;

    public InProcBinder(string name, PairCore core, PairSocketOptions options, ILogger log)
    {
        _name = name;
        _core = core;
        _options = options;
        _log = log;
    }

    public string Endpoint => "inproc://" + _name;

    public void Start()
    {
        InProcRegistry.Bind(_name, this);
        Internal.Log.Bound(_log, Endpoint);
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
        if (peer is not null)
            _core.Detach(peer);
    }

    public bool IsConnected => _core.HasPeer;

    public Task<bool> FlushAsync(Deadline deadline) => Task.FromResult(true); // our outbound pipe is the peer's inbound queue

    public ValueTask DisposeAsync()
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
            _core.Detach(peer, discardOutbound: false);
            peer.Connector.PipesForBinder.Outbound.CloseWriter();
            peer.Connector.BinderGone();
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>A connector as this socket's core sees it.</summary>
    private sealed class Peer(InProcBinder binder, InProcConnector connector) : IPeer
    {
        public InProcConnector Connector => connector;

        public string Description => connector.Endpoint + " (inproc connector)";

        public void OnGranted(PeerPipes pipes) => connector.Linked(binder, binder._options);

        public void OnRefused(string reason)
        {
        }
    }
}
