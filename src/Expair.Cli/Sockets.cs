namespace Expair.Cli;

/// <summary>What every socket command shares: opening the one endpoint, and waits bounded by a timeout and Ctrl+C.</summary>
internal static class Sockets
{
    /// <summary>
    /// A socket bound or connected to <paramref name="target"/>. A malformed endpoint is a usage error (exit 2);
    /// when binding picked a port (<c>tcp://host:*</c>) the real endpoint is noted on stderr, so a peer can find it.
    /// </summary>
    public static PairSocket Open(string command, SocketTarget target, PairSocketOptions options, CliConsole console)
    {
        var socket = new PairSocket(options);
        try
        {
            if (target.IsBind)
            {
                var bound = socket.Bind(target.Endpoint);
                if (bound != target.Endpoint)
                    console.Note($"{command}: bound to {bound}");
            }
            else
            {
                socket.Connect(target.Endpoint);
            }
            return socket;
        }
        catch (ArgumentException e)
        {
            socket.Dispose();
            throw new UsageException($"{command}: {WithoutParameterName(e)}", e);
        }
        catch (EndpointException e)
        {
            socket.Dispose();
            throw new EndpointException($"{command}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The next message, or null when <paramref name="timeout"/> (null: none) passed first. Throws
    /// <see cref="OperationCanceledException"/> when <paramref name="stop"/> fires.
    /// </summary>
    public static async Task<Message?> ReceiveAsync(PairSocket socket, TimeSpan? timeout, CancellationToken stop)
    {
        stop.ThrowIfCancellationRequested();
        // Fast path first: a queued message is taken even with --timeout 0.
        if (socket.TryReceive(out var message, TimeSpan.Zero))
            return message;
        if (timeout is not { } limit)
            return await socket.ReceiveAsync(stop).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(limit);
        try
        {
            return await socket.ReceiveAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// Queues <paramref name="message"/> for the peer; false when neither a peer nor queue room came within
    /// <paramref name="timeout"/> (null: wait for ever). Throws <see cref="OperationCanceledException"/> on <paramref name="stop"/>.
    /// </summary>
    public static async Task<bool> SendAsync(PairSocket socket, Message message, TimeSpan? timeout, CancellationToken stop)
    {
        stop.ThrowIfCancellationRequested();
        if (socket.TrySend(message, TimeSpan.Zero))
            return true;
        if (timeout is not { } limit)
        {
            await socket.SendAsync(message, stop).ConfigureAwait(false);
            return true;
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(limit);
        try
        {
            await socket.SendAsync(message, deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return false;
        }
    }

    public static string Milliseconds(TimeSpan timeout) => $"{timeout.TotalMilliseconds:0} ms";

    /// <summary>"Invalid endpoint 'x': why." without the " (Parameter 'endpoint')" .NET appends.</summary>
    public static string WithoutParameterName(ArgumentException e)
    {
        var suffix = e.ParamName is null ? null : $" (Parameter '{e.ParamName}')";
        return suffix is not null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }
}
