using System.Reflection;

namespace Expair.Tests.Api;

/// <summary>
/// The public surface is listed in src/Expair/PublicAPI.txt (the analyzer package is not on our mirror).
/// A change to the API must change that file in the same commit, so it is seen in review.
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void PublicApi_MatchesPublicApiTxt()
    {
        var actual = Describe(typeof(PairSocket).Assembly);
        var path = Path.Combine(RepoRoot(), "src", "Expair", "PublicAPI.txt");
        if (Environment.GetEnvironmentVariable("EXPAIR_UPDATE_PUBLIC_API") == "1")
            File.WriteAllLines(path, actual); // regenerate: EXPAIR_UPDATE_PUBLIC_API=1 dotnet test --filter PublicApi
        var expected = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var missing = expected.Except(actual).ToList();
        var added = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && added.Count == 0,
            $"PublicAPI.txt is out of date.\nIn the file but not the assembly:\n  {string.Join("\n  ", missing)}\n" +
            $"In the assembly but not the file:\n  {string.Join("\n  ", added)}");
    }

    internal static List<string> Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add($"type {type.FullName}");
            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(flags))
            {
                if (member is MethodInfo { IsSpecialName: true })
                    continue; // property and event accessors are listed with their property
                lines.Add($"{type.FullName}: {member.MemberType} {member}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Expair.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Expair.slnx not found above " + AppContext.BaseDirectory);
    }
}
