using Expair.Internal;

namespace Expair.Core;

/// <summary>
/// The PAIR rules of 31/EXPAIR, in one place: at most one peer; its double queue; what happens to the queues
/// when the peer comes and goes; and sending and receiving whole messages with high-water marks.
/// Transports and engines ask for the slot through <see cref="RequestSlot"/>; nothing else decides who the peer is.
/// </summary>
internal sealed partial class PairCore
{
    private readonly Lock _lock = new();
    private readonly SocketSettings _options;
    private readonly SocketDiagnostics _diagnostics;
    private readonly List<Pipe> _inbound = []; // oldest first; the last is the current peer's, earlier ones drain
    private readonly LinkedList<(IPeer Peer, Func<PeerPipes>? Pipes)> _waiting = [];
    // Read without the lock on every send and receive; written under it.
    private volatile Pipe? _outbound;
    private long _sentAtLastEmpty = -1; // messages sent when a receive last found the queue empty (receivers only)
    private volatile Pipe? _firstInbound; // _inbound[0]: the pipe receive reads from
    private volatile bool _closed;
    private volatile EndpointRefusal? _refusal;
    private IPeer? _peer;

    public PairCore(SocketSettings options, SocketDiagnostics diagnostics)
    {
        _options = options;
        _diagnostics = diagnostics;
    }

    /// <summary>Set whenever the peer or its pipes change, so waiting senders and receivers look again.</summary>
    public Signal PeerChanged { get; } = new();

    public bool HasPeer
    {
        get { lock (_lock) return _peer is not null; }
    }

    /// <summary>
    /// A peer asks for the slot. The first gets it at once; later ones wait in line (up to
    /// <see cref="SocketSettings.MaxWaitingPeers"/>) and get it, in order, when the current peer leaves. A peer that
    /// may not wait (<paramref name="mayWait"/> false) is told <see cref="SlotResult.Taken"/> and never joins the line.
    /// </summary>
    public SlotResult RequestSlot(IPeer peer, Func<PeerPipes>? pipesFactory = null, bool mayWait = true)
    {
        PeerPipes pipes;
        lock (_lock)
        {
            if (_closed)
                return SlotResult.Refused;
            if (_peer is not null)
            {
                if (!mayWait)
                    return SlotResult.Taken; // the caller closes it and reports why
                if (_waiting.Count >= _options.MaxWaitingPeers)
                {
                    _diagnostics.PeerRefused(peer.Description, _peer.Description, _waiting.Count);
                    return SlotResult.Refused;
                }
                _waiting.AddLast((peer, pipesFactory));
                _diagnostics.PeerKeptWaiting(peer.Description, _peer.Description);
                return SlotResult.Waiting;
            }
            pipes = AttachLocked(peer, pipesFactory);
        }
        PeerChanged.Set();
        peer.OnGranted(pipes);
        return SlotResult.Granted;
    }

    private void RemoveWaitingLocked(IPeer peer)
    {
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (ReferenceEquals(node.Value.Peer, peer))
            {
                _waiting.Remove(node);
                return;
            }
        }
    }

    /// <summary>
    /// The peer left. Its outbound queue is destroyed (31/EXPAIR), what it sent us stays readable, and the
    /// first waiting peer takes the slot.
    /// </summary>
    public void Detach(IPeer peer, bool discardOutbound = true)
    {
        IPeer? next = null;
        PeerPipes? nextPipes = null;
        Pipe? oldOut;
        Pipe? oldIn;
        lock (_lock)
        {
            if (!ReferenceEquals(_peer, peer))
            {
                RemoveWaitingLocked(peer);
                return;
            }
            oldOut = _outbound;
            oldIn = _inbound.Count > 0 ? _inbound[^1] : null;
            _outbound = null;
            _peer = null;
            if (!_closed && _waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                next = first.Value.Peer;
                nextPipes = AttachLocked(next, first.Value.Pipes);
            }
        }
        // Outside the lock: discarding wakes waiters, which take the lock again.
        if (discardOutbound && oldOut is not null)
        {
            var dropped = oldOut.Discard();
            if (dropped > 0)
                _diagnostics.MessagesDiscarded(peer.Description, dropped);
        }
        oldIn?.CloseWriter();
        PeerChanged.Set();
        if (next is not null)
        {
            _diagnostics.WaitingPeerPromoted(next.Description);
            next.OnGranted(nextPipes!);
        }
    }

    /// <summary>
    /// Why the connecting endpoint stopped for good (its handshake ended with ERROR, 37/ZMTP), until the socket binds
    /// or connects again; null otherwise. Set, sends and receives that find no peer (and nothing left to read) fail
    /// with it instead of waiting (<see cref="Step.Refused"/>).
    /// </summary>
    public EndpointRefusal? Refusal => _refusal;

    /// <summary>The connecting peer gave up for good because of <paramref name="refusal"/>: leaves like <see cref="Detach"/>.</summary>
    public void DetachRefused(IPeer peer, EndpointRefusal refusal)
    {
        _refusal = refusal; // before Detach wakes the waiters, so they see it
        Detach(peer);
    }

    /// <summary>A new Bind or Connect: an earlier endpoint's refusal no longer applies.</summary>
    public void ClearRefusal() => _refusal = null;

    /// <summary>Refuses everyone waiting and stops granting the slot.</summary>
    public void Close()
    {
        List<IPeer> waiting;
        lock (_lock)
        {
            _closed = true;
            waiting = [.. _waiting.Select(w => w.Peer)];
            _waiting.Clear();
        }
        foreach (var peer in waiting)
            peer.OnRefused("the socket is closing");
        WakeAll();
    }

    /// <summary>The peer holding the slot, if any: linger waits on its kernel send queue.</summary>
    internal IPeer? CurrentPeer
    {
        get { lock (_lock) return _peer; }
    }

    /// <summary>The current outbound pipe, for linger: what still has to go out.</summary>
    public Pipe? Outbound
    {
        get { lock (_lock) return _outbound; }
    }

    private PeerPipes AttachLocked(IPeer peer, Func<PeerPipes>? pipesFactory)
    {
        var pipes = pipesFactory?.Invoke() ?? new PeerPipes(new Pipe(_options.SendHighWaterMark), new Pipe(_options.ReceiveHighWaterMark));
        _peer = peer;
        _outbound = pipes.Outbound;
        CountOutboundLocked(pipes.Outbound);
        if (!_inbound.Contains(pipes.Inbound))
            _inbound.Add(pipes.Inbound);
        _firstInbound = _inbound[0];
        return pipes;
    }
}
