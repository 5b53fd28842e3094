namespace Expair.Engine;

/// <summary>
/// How tests observe and steer a connection's internals (<see cref="ZmtpEngine"/> implements it explicitly), so that
/// no production type carries members whose only caller is a test. Tests reach it from a socket with
/// <c>Probes.Of(socket).Connection</c>. Observations are snapshots taken on the test's thread; the switches keep
/// production behaviour unless set.
/// </summary>
internal interface IConnectionProbe
{
    /// <summary>
    /// True once the traffic phase runs: callers may read and the receive loop has started. The final handshake
    /// command goes out just before, so a peer that has it may still be ahead of this.
    /// </summary>
    bool TrafficStarted { get; }

    /// <summary>Times a caller took the read side.</summary>
    long CallerReads { get; }

    /// <summary>True while the read side is lent to callers, or a caller holds it.</summary>
    bool ReadSideLent { get; }

    /// <summary>True once a caller asked for the read side, until the receive thread lends it.</summary>
    bool CallerAskedToRead { get; }

    /// <summary>True while a caller holds the read side.</summary>
    bool CallerHoldsReadSide { get; }

    /// <summary>True while the receive thread sleeps until a caller gives the read side back.</summary>
    bool LenderSleeps { get; }

    /// <summary>True when the socket has bytes to read (it only looks).</summary>
    bool BytesWaiting { get; }

    /// <summary>Replies callers handed over to the receive thread waiting for them.</summary>
    long RepliesHandedOver { get; }

    /// <summary>True while the receive thread waits for a reply.</summary>
    bool AwaitingReply { get; }

    /// <summary>The most bytes one read after a large body brought in.</summary>
    int LargestReadAfterLargeBody { get; }

    /// <summary>The receive thread takes a lent read side back only when told to, never for going unused.</summary>
    bool KeepLent { set; }

    /// <summary>How long the receive thread waits for a reply (tests make it long, to be sure to catch one).</summary>
    TimeSpan ReplyWait { set; }
}

/// <summary>
/// A holder of the PAIR slot that runs a tcp or ipc connection, and shows tests the one it runs now (implemented
/// explicitly: an accepted <see cref="ZmtpEngine"/> is its own; a <see cref="StreamConnector"/> has one per connection).
/// </summary>
internal interface IProbedPeer
{
    /// <summary>The connection this peer runs now, if any.</summary>
    IConnectionProbe? Connection { get; }
}
