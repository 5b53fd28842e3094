using System.Buffers;
using BenchmarkDotNet.Attributes;
using Expair.Protocol;

namespace Expair.Benchmarks.Micro;

/// <summary>
/// The per-frame codec cost: parsing and writing short (2-byte) and long (9-byte) frame headers. One header costs
/// about a nanosecond, below BenchmarkDotNet's resolution, so each invocation walks a run of <see cref="Headers"/>
/// back-to-back headers, as a decoder does over one socket read; results are per header.
/// </summary>
[MemoryDiagnoser]
public class FrameHeaderBenchmarks
{
    private const int Headers = 256;
    private readonly byte[] _shortRun = new byte[Headers * 2];
    private readonly byte[] _longRun = new byte[Headers * FrameHeader.MaxSize];
    private readonly byte[] _destination = new byte[Headers * FrameHeader.MaxSize];

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < Headers; i++)
        {
            FrameHeader.Write(_shortRun.AsSpan(i * 2), i & 0xFF, more: (i & 1) == 0);
            FrameHeader.Write(_longRun.AsSpan(i * FrameHeader.MaxSize), 256 + i, more: false);
        }
    }

    [Benchmark(OperationsPerInvoke = Headers)]
    public long ParseShort() => ParseRun(_shortRun);

    [Benchmark(OperationsPerInvoke = Headers)]
    public long ParseLong() => ParseRun(_longRun);

    [Benchmark(OperationsPerInvoke = Headers)]
    public int WriteShort()
    {
        var offset = 0;
        for (var i = 0; i < Headers; i++)
            offset += FrameHeader.Write(_destination.AsSpan(offset), i & 0xFF, more: true);
        return offset;
    }

    [Benchmark(OperationsPerInvoke = Headers)]
    public int WriteLong()
    {
        var offset = 0;
        for (var i = 0; i < Headers; i++)
            offset += FrameHeader.Write(_destination.AsSpan(offset), (1 << 20) + i, more: false);
        return offset;
    }

    private static long ParseRun(ReadOnlySpan<byte> run)
    {
        long total = 0;
        while (!run.IsEmpty && FrameHeader.TryParse(run, long.MaxValue, out var header) == OperationStatus.Done)
        {
            total += header.BodyLength;
            run = run[header.HeaderLength..];
        }
        return total;
    }
}
