namespace Expair.Tests.Architecture;

/// <summary>
/// The layers of the built Expair assembly hold (CONTRIBUTING.md, "Layout"): every type reference in its
/// metadata and IL is checked against <see cref="LayerRules"/>. The checker itself is shown to fail on the
/// deliberately bad types in LayerFixtures.cs and on hand-made references, one per rule.
/// </summary>
public class LayerTests
{
    private const string FixtureRoot = "Expair.Tests.Architecture.Fixture";

    [Fact]
    public void Expair_HasNoReferenceAcrossLayers()
    {
        var uses = TypeReferenceScanner.Scan(typeof(PairSocket).Assembly.Location);
        Assert.NotEmpty(uses);
        var violations = new LayerRules("Expair").Violations(uses);
        Assert.True(violations.Count == 0,
            $"{violations.Count} references break the layer rules:\n  {string.Join("\n  ", violations)}");
    }

    [Fact]
    public void Expair_EveryNamespaceIsAKnownLayer()
    {
        var rules = new LayerRules("Expair");
        var unknown = typeof(PairSocket).Assembly.GetTypes()
            .Select(t => rules.LayerOf(new TypeName(t.Namespace ?? "", t.Name, Local: true, Public: t.IsPublic)))
            .Where(layer => layer is not null && !LayerRules.Layers.Contains(layer))
            .Distinct()
            .ToList();
        Assert.Empty(unknown);
    }

    [Fact]
    public void Scanner_FindsEachKindOfReferenceInCompiledCode()
    {
        var uses = TypeReferenceScanner.Scan(typeof(LayerTests).Assembly.Location);
        var violations = new LayerRules(FixtureRoot).Violations(uses);

        string[] expected =
        [
            $"Core.BaseTypeUser -> {FixtureRoot}.PublicBase (BaseTypeUser base type)",
            $"Core.InterfaceUser -> {FixtureRoot}.IPublicApi (InterfaceUser interface)",
            $"Core.AttributeUser -> {FixtureRoot}.PublicAttribute (AttributeUser attribute)",
            $"Core.FieldUser -> {FixtureRoot}.PairSocketOptions (FieldUser field _options)",
            $"Core.SignatureUser -> {FixtureRoot}.PairSocketOptions (SignatureUser method Take signature)",
            $"Core.LocalUser -> {FixtureRoot}.PairSocketOptions (LocalUser method Sum local)",
            $"Core.LocalUser -> {FixtureRoot}.PairSocketOptions (LocalUser method Sum IL castclass)",
            $"Core.CallUser -> {FixtureRoot}.PairSocketOptions (CallUser method Make IL call)",
            $"Core.EngineUser -> {FixtureRoot}.Engine.Connection (EngineUser method Make IL newobj)",
            $"Transport.PlainDataUser -> {FixtureRoot}.Message (PlainDataUser method Make IL newobj)",
            $"Protocol.SocketUser -> System.Net.Sockets.SocketType (SocketUser method Kind IL box)",
            $"Internal.CoreUser -> {FixtureRoot}.Core.CallUser (CoreUser method Make IL newobj)",
            $"Somewhere.Unlayered -> System.Object (Unlayered base type)",
        ];
        var missing = expected.Where(e => !violations.Any(v => v.StartsWith($"{FixtureRoot}.{e}", StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, $"not found:\n  {string.Join("\n  ", missing)}\nfound:\n  {string.Join("\n  ", violations)}");

        // A lambda is compiled into a nested class; its references count against the outer type.
        Assert.Contains(violations, v => v.StartsWith($"{FixtureRoot}.Core.LambdaUser -> {FixtureRoot}.PairSocketOptions (<>c method", StringComparison.Ordinal));
        Assert.DoesNotContain(violations, v => v.Contains(".Allowed", StringComparison.Ordinal));
    }

    /// <summary>One reference against each rule, and the uses each rule allows.</summary>
    [Theory]
    [InlineData("Protocol", "Core", "Pipe", true)]
    [InlineData("Protocol", "Engine", "ZmtpEngine", true)]
    [InlineData("Protocol", "Transport", "Endpoint", true)]
    [InlineData("Protocol", "", "Message", true)]
    [InlineData("Protocol", "System.Net.Sockets", "Socket", true)]
    [InlineData("Protocol", "Internal", "Frame", false)]
    [InlineData("Transport", "Core", "Pipe", true)]
    [InlineData("Transport", "Engine", "ZmtpEngine", true)]
    [InlineData("Transport", "Protocol", "Greeting", true)]
    [InlineData("Transport", "", "EndpointException", true)]
    [InlineData("Transport", "Internal", "SocketDiagnostics", false)]
    [InlineData("Transport", "System.Net.Sockets", "Socket", false)]
    [InlineData("Core", "Engine", "ZmtpEngine", true)]
    [InlineData("Core", "Transport", "Endpoint", true)]
    [InlineData("Core", "Protocol", "Greeting", false)]
    [InlineData("Core", "", "PairSocket", true)]
    [InlineData("Core", "", "PairSocketOptions", true)]
    [InlineData("Core", "", "SocketMonitor", true)]
    [InlineData("Core", "", "Message", false)]
    [InlineData("Engine", "", "PairSocketOptions", true)]
    [InlineData("Engine", "", "EndpointException", false)]
    [InlineData("Engine", "Transport", "Endpoint", false)]
    [InlineData("Internal", "", "SocketMonitor", true)]
    [InlineData("Internal", "", "SocketEvent", false)]
    [InlineData("Internal", "Core", "Pipe", true)]
    [InlineData("Internal", "Engine", "ZmtpEngine", true)]
    [InlineData("Internal", "Protocol", "Greeting", true)]
    [InlineData("Internal", "Transport", "Endpoint", true)]
    [InlineData("", "Engine", "ZmtpEngine", false)]
    public void Rules_FlagExactlyTheForbiddenUses(string from, string to, string targetName, bool forbidden)
    {
        var source = new TypeName(Qualify(from), "Source", Local: true, Public: false);
        var target = to.StartsWith("System", StringComparison.Ordinal)
            ? new TypeName(to, targetName, Local: false, Public: true)
            : new TypeName(Qualify(to), targetName, Local: true, Public: to.Length == 0);
        var violations = new LayerRules("Expair").Violations([new TypeUse(source, target, "somewhere")]);
        Assert.Equal(forbidden ? 1 : 0, violations.Count);
    }

    private static string Qualify(string layer) => layer.Length == 0 ? "Expair" : "Expair." + layer;
}
