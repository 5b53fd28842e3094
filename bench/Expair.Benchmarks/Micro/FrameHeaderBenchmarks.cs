using System.Buffers;
using BenchmarkDotNet.Attributes;
using Expair.Protocol;

namespace Expair.Benchmarks.Micro;

/// <summary>The per-frame codec cost: parsing and writing short (2-byte) and long (9-byte) frame headers.</summary>
[MemoryDiagnoser]
public class FrameHeaderBenchmarks
{
    private readonly byte[] _short = [0x01, 64];
    private readonly byte[] _long = [0x02, 0, 0, 0, 0, 0, 0x10, 0, 0];
    private readonly byte[] _destination = new byte[FrameHeader.MaxSize];

    [Benchmark]
    public long ParseShort() => FrameHeader.TryParse(_short, long.MaxValue, out var header) == OperationStatus.Done ? header.BodyLength : -1;

    [Benchmark]
    public long ParseLong() => FrameHeader.TryParse(_long, long.MaxValue, out var header) == OperationStatus.Done ? header.BodyLength : -1;

    [Benchmark]
    public int WriteShort() => FrameHeader.Write(_destination, 64, more: true);

    [Benchmark]
    public int WriteLong() => FrameHeader.Write(_destination, 1 << 20, more: false);
}
