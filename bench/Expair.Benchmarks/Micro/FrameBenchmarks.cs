using BenchmarkDotNet.Attributes;
using Expair.Internal;

namespace Expair.Benchmarks.Micro;

/// <summary>
/// A small body copied into a frame, as every send of a span and every decoded small frame does once per message,
/// and the frame stored in a queue slot as the pipe stores it.
/// </summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private readonly Frame[] _slots = new Frame[16];
    private byte[] _body = [];
    private int _next;

    [Params(1, 64)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup() => _body = new byte[Size];

    [Benchmark]
    public int CopyIntoSlot()
    {
        var slot = _next++ & 15;
        _slots[slot] = Frame.Copy(_body, more: false);
        return _slots[slot].Length;
    }

    [Benchmark]
    public int CopyInPlace()
    {
        var slot = _next++ & 15;
        Frame.Copy(_body, more: false, out _slots[slot]);
        return _slots[slot].Length;
    }
}
