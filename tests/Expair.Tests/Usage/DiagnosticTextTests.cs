using Expair.Tests.Events;
using Microsoft.Extensions.Logging;

namespace Expair.Tests.Usage;

/// <summary>What a newcomer reads: the send timeout's reason, which socket a log line is from, how a peer is named.</summary>
public class DiagnosticTextTests
{
    private static readonly PairSocketOptions QuickSend = new() { SendTimeout = TimeSpan.FromMilliseconds(20) };

    [Fact]
    public void Send_NeverBoundOrConnected_TimeoutSaysSo()
    {
        using var socket = new PairSocket(QuickSend);
        var error = Assert.Throws<TimeoutException>(() => socket.Send("hello"));
        Assert.Contains("never bound or connected", error.Message, StringComparison.Ordinal);
        Assert.Contains("Bind or Connect", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SendAndClear_NeverBoundOrConnected_TimeoutSaysSo()
    {
        using var socket = new PairSocket(QuickSend);
        using var message = new Message("hello");
        var error = Assert.Throws<TimeoutException>(() => socket.SendAndClear(message));
        Assert.Contains("never bound or connected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Send_BoundWithoutPeer_TimeoutSaysNoPeer()
    {
        using var socket = new PairSocket(QuickSend);
        socket.Bind($"inproc://lonely-{Guid.NewGuid():N}");
        var error = Assert.Throws<TimeoutException>(() => socket.Send("hello"));
        Assert.EndsWith("the socket has no peer.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Send_AfterUnbind_TimeoutSaysNoLongerBound()
    {
        using var socket = new PairSocket(QuickSend);
        var endpoint = socket.Bind($"inproc://gone-{Guid.NewGuid():N}");
        socket.Unbind(endpoint);
        var error = Assert.Throws<TimeoutException>(() => socket.Send("hello"));
        Assert.Contains("no longer bound or connected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_OfTwoSockets_CarryEachSocketsEndpointInAScope()
    {
        using var logs = new ScopeRecorder();
        var options = new PairSocketOptions { LoggerFactory = logs };
        using var supervisor = new PairSocket(options);
        using var other = new PairSocket(options);
        var supervisorEndpoint = supervisor.Bind("tcp://127.0.0.1:*");
        var otherEndpoint = other.Bind($"inproc://other-{Guid.NewGuid():N}");
        using var worker = new PairSocket(options);
        worker.Connect(supervisorEndpoint);
        worker.Send("hi");
        Assert.Equal("hi", await supervisor.ReceiveStringAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        var entries = logs.Entries;
        Assert.Contains(entries, e => e.Text == $"Bound {supervisorEndpoint}" && e.Endpoint == supervisorEndpoint);
        Assert.Contains(entries, e => e.Text == $"Bound {otherEndpoint}" && e.Endpoint == otherEndpoint);
        Assert.Contains(entries, e => e.Text == $"Connecting to {supervisorEndpoint}" && e.Endpoint == supervisorEndpoint);
        Assert.All(entries, e => Assert.NotNull(e.Endpoint)); // every line has the scope
        Assert.All(entries, e => Assert.Equal($"Expair socket {e.Endpoint}", e.ScopeText));
    }

    [Fact]
    public async Task Logs_BeforeBindOrConnect_CarryNoEndpointScopeWithoutFailing()
    {
        using var logs = new ScopeRecorder();
        var socket = new PairSocket(new PairSocketOptions { LoggerFactory = logs });
        await socket.DisposeAsync(); // "Socket closed" from a socket that never had an endpoint
        var closed = Assert.Single(logs.Entries, e => e.Text == "Socket closed");
        Assert.Equal("(no endpoint)", closed.Endpoint);
    }

    [Fact]
    public async Task Peer_OfIPv4ConnectionToADualModeListener_PrintsAsIPv4()
    {
        using var server = new PairSocket();
        using var monitor = server.Monitor();
        var reading = new MonitorReading(monitor);
        var bound = server.Bind("tcp://*:0"); // all interfaces: an IPv6 socket that also accepts IPv4
        var port = bound[(bound.LastIndexOf(':') + 1)..];
        using var client = new PairSocket();
        client.Connect($"tcp://127.0.0.1:{port}");
        var accepted = (await reading.UntilAsync(SocketEventKind.Accepted))[^1];
        Assert.StartsWith("tcp://127.0.0.1:", accepted.Peer, StringComparison.Ordinal);
        Assert.DoesNotContain("::ffff:", accepted.Peer, StringComparison.Ordinal);
        var handshaken = (await reading.UntilAsync(SocketEventKind.HandshakeSucceeded))[^1];
        Assert.Equal(accepted.Peer, handshaken.Peer);
    }

    /// <summary>Records each log line with the innermost scope open on its thread when it was written.</summary>
    private sealed class ScopeRecorder : ILoggerFactory
    {
        [ThreadStatic]
        private static Stack<object>? t_scopes;

        private readonly List<Entry> _entries = [];

        public sealed record Entry(string Text, string? Endpoint, string? ScopeText);

        public IReadOnlyList<Entry> Entries
        {
            get { lock (_entries) return [.. _entries]; }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void AddProvider(ILoggerProvider provider) { }

        public void Dispose() { }

        private sealed class Logger(ScopeRecorder owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                (t_scopes ??= new()).Push(state);
                return new Pop();
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scope = t_scopes is { Count: > 0 } scopes ? scopes.Peek() : null;
                var endpoint = scope is IEnumerable<KeyValuePair<string, object?>> pairs
                    ? pairs.Where(p => p.Key == "ExpairEndpoint").Select(p => p.Value as string).SingleOrDefault()
                    : null;
                lock (owner._entries)
                    owner._entries.Add(new Entry(formatter(state, exception), endpoint, scope?.ToString()));
            }
        }

        private sealed class Pop : IDisposable
        {
            public void Dispose() => t_scopes!.Pop();
        }
    }
}
