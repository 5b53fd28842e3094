namespace Expair.Tests.Usage;

/// <summary>Two sockets joined over a fresh inproc:// name: A binds, B connects.</summary>
internal sealed class InProcPair : IDisposable
{
    public InProcPair()
    {
        var name = $"inproc://usage-{Guid.NewGuid():N}";
        A.Bind(name);
        B.Connect(name);
    }

    public PairSocket A { get; } = new();

    public PairSocket B { get; } = new();

    public void Deconstruct(out PairSocket a, out PairSocket b) => (a, b) = (A, B);

    public void Dispose()
    {
        B.Dispose();
        A.Dispose();
    }
}
