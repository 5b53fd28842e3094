using BenchmarkDotNet.Attributes;
using Expair.Core;
using Expair.Internal;

namespace Expair.Benchmarks.Micro;

/// <summary>
/// The queue between a socket and its engine: one whole message written then read, single-frame and three-frame,
/// and the engine's batches (many messages per call). Frames are unpooled (the benchmark reuses their arrays), so
/// what is measured is the pipe itself. Batch results are per batch of <see cref="Batch"/> messages.
/// </summary>
[MemoryDiagnoser]
public class PipeBenchmarks
{
    private readonly Pipe _pipe = new(capacity: 1000);
    private readonly List<Frame> _into = new(4);
    private Frame[] _single = [];
    private Frame[] _multi = [];
    private Frame[] _batch = [];
    private readonly Frame[] _batchOut = new Frame[Batch];
    private readonly Frame[] _one = new Frame[1];

    public const int Batch = 16;

    [Params(64, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _single = [new Frame(new byte[Size], Size, pooled: false, more: false)];
        _multi = [.. Enumerable.Range(0, 3).Select(i => new Frame(new byte[Size], Size, pooled: false, more: i < 2))];
        _batch = [.. Enumerable.Range(0, Batch).Select(_ => new Frame(new byte[Size], Size, pooled: false, more: false))];
    }

    [Benchmark]
    public int WriteReadSingleFrame() => WriteRead(_single);

    [Benchmark]
    public int WriteReadThreeFrames() => WriteRead(_multi);

    [Benchmark]
    public int WriteReadFrameByFrame()
    {
        _pipe.TryWrite(_multi);
        var frames = 0;
        while (_pipe.TryReadFrames(_one) == 1)
            frames++;
        _pipe.CompleteSent(1);
        return frames;
    }

    /// <summary>The engine's receive side writes what one socket read decoded; its send side drains in batches.</summary>
    [Benchmark]
    public int WriteReadBatchOf16()
    {
        _pipe.TryWriteMessages(_batch, out _);
        var frames = _pipe.TryReadFrames(_batchOut);
        _pipe.CompleteSent(frames);
        return frames;
    }

    private int WriteRead(Frame[] message)
    {
        _pipe.TryWrite(message);
        _into.Clear();
        _pipe.TryRead(_into);
        return _into.Count;
    }
}
