using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Expair.Tests.Architecture;

/// <summary>
/// Tests reach internals only through the probes (<see cref="Probes"/>, STYLE.md 15): no production member is
/// documented as being "for tests". Read from the compiler's XML documentation of the built assembly, which holds
/// the docs of private and internal members too.
/// </summary>
public class TestSeamTests
{
    private static readonly Regex TestOnly = new(@"\bfor (tests|testing)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    [Fact]
    public void Expair_HasNoMemberDocumentedAsForTests()
    {
        var path = Path.ChangeExtension(typeof(PairSocket).Assembly.Location, ".xml");
        Assert.True(File.Exists(path), $"no XML documentation at {path} (GenerateDocumentationFile is on for src/Expair)");
        var hooks = TestOnlyMembers(XDocument.Load(path));
        Assert.True(hooks.Count == 0,
            $"{hooks.Count} members are documented as for tests; move them behind a probe (Probes.cs):\n  {string.Join("\n  ", hooks)}");
    }

    [Fact]
    public void Checker_FindsTheMembersDocumentedAsForTests()
    {
        var docs = XDocument.Parse("""
            <doc><members>
              <member name="P:Expair.Core.PairCore.CurrentPeer"><summary>The peer holding the slot (for tests).</summary></member>
              <member name="M:Expair.Core.Signal.Reset"><summary>Resets it.</summary><remarks>Only <c>for Testing</c>.</remarks></member>
              <member name="P:Expair.Core.Signal.Waiters"><summary>Waiters (tests use it to know a wait blocks).</summary></member>
              <member name="T:Expair.Probes"><summary>How tests observe internals, for contests.</summary></member>
            </members></doc>
            """);
        Assert.Equal(["P:Expair.Core.PairCore.CurrentPeer", "M:Expair.Core.Signal.Reset"], TestOnlyMembers(docs));
    }

    /// <summary>The documentation ids of the members whose doc text says they are for tests.</summary>
    private static List<string> TestOnlyMembers(XDocument docs) =>
        [.. docs.Descendants("member")
            .Where(member => TestOnly.IsMatch(member.Value))
            .Select(member => (string?)member.Attribute("name") ?? "?")];
}
