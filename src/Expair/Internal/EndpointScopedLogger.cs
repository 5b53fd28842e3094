using System.Collections;
using Microsoft.Extensions.Logging;

namespace Expair.Internal;

/// <summary>
/// A socket's logger: every line is written inside a scope naming the socket's endpoint
/// (<c>ExpairEndpoint = tcp://127.0.0.1:5555</c>), so the lines of two sockets in one process can be told apart
/// by any provider that records scopes. The endpoint is read when a line is written, as bind fills in the port.
/// </summary>
internal sealed class EndpointScopedLogger(ILogger inner, Func<string?> endpoint) : ILogger
{
    private Scope? _scope; // reused while the endpoint stays the same

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
            return;
        using (inner.BeginScope(CurrentScope()))
            inner.Log(logLevel, eventId, state, exception, formatter);
    }

    private Scope CurrentScope()
    {
        var name = endpoint() ?? "(no endpoint)";
        var scope = Volatile.Read(ref _scope);
        if (scope?.Endpoint != name)
            Volatile.Write(ref _scope, scope = new Scope(name));
        return scope;
    }

    /// <summary>Structured scope state: one property, and "Expair socket tcp://..." as text.</summary>
    private sealed class Scope(string endpoint) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public const string PropertyName = "ExpairEndpoint";

        public string Endpoint => endpoint;

        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new(PropertyName, endpoint) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"Expair socket {endpoint}";
    }
}
