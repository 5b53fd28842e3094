using BenchmarkDotNet.Attributes;
using Expair.Protocol;

namespace Expair.Benchmarks.Micro;

/// <summary>Command frames: the heartbeat pair that runs for the life of a connection, and the READY handshake.</summary>
[MemoryDiagnoser]
public class CommandsBenchmarks
{
    private static readonly KeyValuePair<string, string>[] ReadyProperties = [new("Socket-Type", "PAIR")];
    private readonly byte[] _destination = new byte[256];
    private readonly byte[] _context = [1, 2, 3, 4];
    private byte[] _pingBody = [];
    private byte[] _readyData = [];

    [GlobalSetup]
    public void Setup()
    {
        var ping = new byte[64];
        var length = Commands.WritePing(ping, 300, _context);
        _pingBody = ping[2..length]; // without the 2-byte frame header
        var ready = new byte[Commands.ReadySize(ReadyProperties)];
        length = Commands.WriteReady(ready, ReadyProperties);
        _readyData = ready[(2 + 1 + Commands.Ready.Length)..length];
    }

    [Benchmark]
    public int WritePing() => Commands.WritePing(_destination, 300, _context);

    [Benchmark]
    public int ParsePingAndWritePong()
    {
        return Commands.TryParse(_pingBody, out _, out var data) ? Commands.WritePong(_destination, Commands.PingContext(data)) : -1;
    }

    [Benchmark]
    public int WriteReady() => Commands.WriteReady(_destination, ReadyProperties);

    [Benchmark]
    public int ParseReadyMetadata() => Commands.TryParseMetadata(_readyData, out var properties) ? properties.Count : -1;
}
