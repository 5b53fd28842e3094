namespace Expair.Tests.Architecture;

/// <summary>
/// Which layer may refer to which. A type's layer is its namespace's first segment below the root
/// (<c>Expair.Transport.Tcp</c> is Transport); the root namespace itself is the public API. Types outside the
/// root namespace (the runtime, compiler-emitted attributes) belong to no layer and are not checked as sources.
/// </summary>
internal sealed class LayerRules(string root)
{
    public const string Api = "Api";
    public const string Core = "Core";
    public const string Engine = "Engine";
    public const string Internal = "Internal";
    public const string Protocol = "Protocol";
    public const string Transport = "Transport";

    /// <summary>
    /// Public API types that are plain data (values and errors without behaviour that reaches back into a socket),
    /// so Core, Engine and Internal may use them. Protocol and Transport use none: they stand alone.
    /// </summary>
    public static readonly IReadOnlySet<string> PlainData = new HashSet<string>(StringComparer.Ordinal)
    {
        "Message", "SocketEvent", "SocketEventKind", "ExpairException", "EndpointException",
    };

    /// <summary>The layers each layer must not refer to; the API (the root namespace) is listed apart.</summary>
    private static readonly Dictionary<string, string[]> Forbidden = new(StringComparer.Ordinal)
    {
        [Api] = [],
        [Core] = [Engine, Transport],
        [Engine] = [],
        [Internal] = [Core, Engine, Protocol, Transport],
        [Protocol] = [Core, Engine, Transport],
        [Transport] = [Core, Engine, Protocol],
    };

    /// <summary>Layers that may use no API type at all, not even plain data.</summary>
    private static readonly HashSet<string> Standalone = [Protocol, Transport];

    /// <summary>Namespaces outside Expair that a layer must not use: the codec does no I/O.</summary>
    private static readonly Dictionary<string, string[]> ForbiddenExternal = new(StringComparer.Ordinal)
    {
        [Protocol] = ["System.Net.Sockets"],
    };

    public static IEnumerable<string> Layers => Forbidden.Keys;

    /// <summary>The layer of <paramref name="type"/>, or null for a type outside the root namespace.</summary>
    public string? LayerOf(TypeName type)
    {
        if (!type.Local)
            return null;
        if (type.Namespace == root)
            return Api;
        if (!type.Namespace.StartsWith(root + ".", StringComparison.Ordinal))
            return null;
        var rest = type.Namespace[(root.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : rest[..dot];
    }

    /// <summary>Every use that breaks a rule, one line each, naming the source type, the target and where.</summary>
    public List<string> Violations(IEnumerable<TypeUse> uses)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var use in uses)
        {
            var why = Why(use);
            if (why is not null)
                found.Add($"{use.Source} -> {use.Target} ({use.Where}): {why}");
        }
        return [.. found];
    }

    private string? Why(TypeUse use)
    {
        var from = LayerOf(use.Source);
        if (from is null)
            return null;
        if (!Forbidden.TryGetValue(from, out var forbidden))
            return $"namespace {use.Source.Namespace} is no known layer; give it rules in LayerRules";
        var to = LayerOf(use.Target);
        if (to is null)
        {
            return !use.Target.Local && ForbiddenExternal.TryGetValue(from, out var external)
                && external.Any(ns => use.Target.Namespace == ns || use.Target.Namespace.StartsWith(ns + ".", StringComparison.Ordinal))
                ? $"{from} must not use {use.Target.Namespace}"
                : null;
        }
        if (from == to)
            return null;
        if (to == Api && from != Api)
        {
            if (Standalone.Contains(from))
                return $"{from} must not use the public API";
            return PlainData.Contains(use.Target.Name) ? null : $"{from} may use only plain public data from the API";
        }
        return forbidden.Contains(to) ? $"{from} must not use {to}" : null;
    }
}
