using Expair.Tests.Hostile;
using static Expair.Tests.Security.SecureLink;

namespace Expair.Tests.Security;

/// <summary>
/// Issue 19: CURVE allocates nothing per message in steady state. Encryption and decryption happen on the engine's
/// threads as well as the caller's, so this counts the whole process (<see cref="GC.GetTotalAllocatedBytes"/>) and
/// runs alone in <see cref="ProcessWideMeasurements"/>.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
public sealed class CurveAllocationTests
{
    [Theory]
    [InlineData("tcp", 64, 20_000, 200_000)]
    [InlineData("ipc", 64, 20_000, 200_000)]
    [InlineData("tcp", 1024 * 1024, 2000, 2000)]
    public void SteadyState_CurveMessages_AllocateNothingPerMessage(string transport, int size, int warmup, int measured)
    {
        var serverOptions = Options(CurveServer) with { SendHighWaterMark = 50, ReceiveHighWaterMark = 50 };
        var clientOptions = Options(CurveClient()) with { SendHighWaterMark = 50, ReceiveHighWaterMark = 50 };
        using var server = new PairSocket(serverOptions);
        using var client = new PairSocket(clientOptions);
        client.Connect(server.Bind(Endpoint(transport)));

        var sender = new Thread(() =>
        {
            using var outgoing = new Message();
            for (var i = 0; i < warmup + measured; i++)
            {
                outgoing.AddBuffer(size).Span.Fill((byte)i); // every payload byte written, as an application would
                client.SendAndClear(outgoing);
            }
        });
        sender.Start();

        using var message = new Message();
        var wrong = 0;
        long before = 0;
        for (var i = 0; i < warmup + measured; i++)
        {
            if (i == warmup)
                before = GC.GetTotalAllocatedBytes(precise: true);
            server.Receive(message);
            var body = message[0].Span;
            if (body.Length != size || body[0] != (byte)i || body[^1] != (byte)i)
                wrong++; // counted, not asserted here: xunit's Assert.Equal allocates
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(sender.Join(Patience));
        Assert.Equal(0, wrong);
        // The smallest .NET object is 24 bytes: an allocation per message would cost at least 24 x the count, one in
        // four messages 6 x. What remains is per wake-up of a thread (a thread-pool queue segment now and then) and,
        // at 1 MiB, buffers the pool rents afresh when more are in flight at once than at any point before (both
        // ends share it here; seen: up to 22 in 2,000). A buffer per message would be 2,000; under one per 50 proves
        // the buffers are recycled.
        var allowed = size < 1024 ? 6L * measured : measured / 50 * (size + CurveMessageOverhead);
        Assert.True(allocated < allowed, $"the process allocated {allocated} bytes over {measured} CURVE messages of {size} bytes");
    }

    private const int CurveMessageOverhead = 33;
}
