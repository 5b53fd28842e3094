namespace Expair.Transport.InProc;

/// <summary>A bound inproc name: takes the connectors that arrive for it.</summary>
internal interface IInProcBinder
{
    void Accept(IInProcConnector connector);
}

/// <summary>A socket that connected to an inproc name, bound or not yet.</summary>
internal interface IInProcConnector
{
}

/// <summary>
/// The process-wide rendezvous of inproc names. A connector that arrives before the binder waits here
/// (connect before bind works, as in libzmq) and is handed over when the name is bound.
/// </summary>
internal static class InProcRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, IInProcBinder> Binders = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, List<IInProcConnector>> Pending = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers <paramref name="binder"/> under <paramref name="name"/> and returns the connectors already
    /// waiting for it, for the binder to accept once it has announced itself.
    /// </summary>
    public static List<IInProcConnector> Bind(string name, IInProcBinder binder)
    {
        List<IInProcConnector>? waiting;
        lock (Gate)
        {
            if (Binders.ContainsKey(name))
                throw new TransportException("inproc://" + name, "the name is already bound by another socket");
            Binders[name] = binder;
            Pending.Remove(name, out waiting);
        }
        return waiting ?? [];
    }

    /// <summary>Names bound plus names with connectors waiting: what a closed socket must not leave behind.</summary>
    public static int Count
    {
        get
        {
            lock (Gate)
                return Binders.Count + Pending.Count;
        }
    }

    public static void Unbind(string name, IInProcBinder binder)
    {
        lock (Gate)
        {
            if (Binders.TryGetValue(name, out var current) && ReferenceEquals(current, binder))
                Binders.Remove(name);
        }
    }

    /// <summary>Hands <paramref name="connector"/> to the binder of <paramref name="name"/>, or parks it until one binds.</summary>
    public static void Connect(string name, IInProcConnector connector)
    {
        IInProcBinder? binder;
        lock (Gate)
        {
            if (!Binders.TryGetValue(name, out binder))
            {
                if (!Pending.TryGetValue(name, out var list))
                    Pending[name] = list = [];
                list.Add(connector);
                return;
            }
        }
        binder.Accept(connector);
    }

    public static void CancelConnect(string name, IInProcConnector connector)
    {
        lock (Gate)
        {
            if (Pending.TryGetValue(name, out var list) && list.Remove(connector) && list.Count == 0)
                Pending.Remove(name);
        }
    }
}
