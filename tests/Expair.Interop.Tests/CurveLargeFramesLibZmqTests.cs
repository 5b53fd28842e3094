using Expair.Interop.Tests.Native;
using static Expair.Interop.Tests.CurveTestKeys;

namespace Expair.Interop.Tests;

/// <summary>
/// CURVE frames of every size class against the real libzmq, both directions, tcp and ipc: frames opened inside the
/// receive buffer, large ones read straight into their own buffer and opened there (its first step, and grown
/// past it), at the edges of each. Expair sends back the very message it received, so frames opened in place go
/// out again from where their payload lies.
/// </summary>
public sealed class CurveLargeFramesLibZmqTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Sizes around the copy threshold, the receive buffer (64 KiB), the first large-body step and its doubling.</summary>
    private static readonly int[] Sizes =
    [
        0, 1, 31, 32, 33, 64, 65, 8 * 1024 - 33, 8 * 1024, 64 * 1024 - 33, 64 * 1024 - 32, 64 * 1024, 64 * 1024 + 1,
        MiB - 33, MiB - 32, MiB, MiB + 1, 2 * MiB - 33, 2 * MiB + 7,
    ];

    private readonly ZmqContext _context = new();
    private readonly TestResources _resources = new();
    private readonly CurveKeyPair _serverKeys = CurveKeyPair.FromSecretKey(ServerSecret);
    private readonly CurveKeyPair _clientKeys = CurveKeyPair.FromSecretKey(ClientSecret);

    public void Dispose()
    {
        _resources.Dispose();
        _context.Dispose();
        _serverKeys.Dispose();
        _clientKeys.Dispose();
    }

    [Theory]
    [InlineData("tcp", true)]
    [InlineData("tcp", false)]
    [InlineData("ipc", true)]
    [InlineData("ipc", false)]
    public void EverySize_MultipartBothWays_ArrivesWhole(string transport, bool expairIsServer)
    {
        var expair = _resources.Track(new PairSocket(new PairSocketOptions
        {
            Security = expairIsServer
                ? SocketSecurity.CurveServer(_serverKeys, new CurveAllowList([ClientPublic]))
                : SocketSecurity.CurveClient(ServerPublic, _clientKeys),
            ReceiveTimeout = Wait,
            SendTimeout = Wait,
        }));
        var zmq = _resources.Track(expairIsServer
            ? LibZmqSecuritySockets.CurveClient(_context, ServerPublic, ClientPublic, ClientSecret)
            : LibZmqSecuritySockets.CurveServer(_context, ServerSecret));
        var endpoint = transport == "tcp" ? "tcp://127.0.0.1:*" : _resources.IpcEndpoint();
        zmq.Connect(expair.Bind(endpoint));

        var random = new Random(17);
        var frames = Sizes.Select(size =>
        {
            var frame = new byte[size];
            random.NextBytes(frame);
            return frame;
        }).ToArray();
        for (var round = 0; round < 3; round++)
        {
            zmq.Send(frames);
            using var received = expair.Receive();
            Assert.Equal(Sizes, received.Select(f => f.Length));
            for (var i = 0; i < frames.Length; i++)
                Assert.True(frames[i].AsSpan().SequenceEqual(received[i].Span), $"round {round}: frame {i} ({Sizes[i]} bytes) differs");

            expair.SendAndClear(received); // the frames as they were opened, sent back from where they lie
            var echoed = zmq.Receive((int)Wait.TotalMilliseconds);
            Assert.Equal(Sizes, echoed.Select(f => f.Length));
            for (var i = 0; i < frames.Length; i++)
                Assert.True(frames[i].AsSpan().SequenceEqual(echoed[i]), $"round {round}: echoed frame {i} ({Sizes[i]} bytes) differs");

            expair.Send(new Message(frames));
            var sent = zmq.Receive((int)Wait.TotalMilliseconds);
            for (var i = 0; i < frames.Length; i++)
                Assert.True(frames[i].AsSpan().SequenceEqual(sent[i]), $"round {round}: frame {i} ({Sizes[i]} bytes) from Expair differs");
        }
    }
}
