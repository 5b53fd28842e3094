using System.Net.Sockets;
using Expair.Tests.Hostile;
using FsCheck;
using FsCheck.Fluent;

namespace Expair.Tests.Properties;

/// <summary>
/// Any run of messages, written by a raw peer in arbitrary chunk sizes (each its own send, no delay), arrives
/// at a live bound socket whole and identical.
/// </summary>
public sealed class LiveRoundTripProperties : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly PairSocket _server = new(new PairSocketOptions { ReceiveTimeout = Patience, SendTimeout = Patience, Linger = TimeSpan.Zero });
    private RawPeer? _peer;

    public async Task InitializeAsync()
    {
        var endpoint = _server.Bind("tcp://127.0.0.1:*");
        _peer = await RawPeer.ConnectAsync(endpoint);
        await _peer.SendAsync([.. RawPeer.Greeting(), .. RawPeer.Ready("PAIR")]);
        var ready = RawPeer.Ready("PAIR");
        Assert.Equal(ready, (await _peer.ReadExactlyAsync(64 + ready.Length, Patience))[64..]);
    }

    [Fact]
    public void AnyMessages_SentInArbitraryChunks_ArriveIdentically() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(150), Prop.ForAll(MessageGen.Messages.ToArbitrary(), MessageGen.Chunks.ToArbitrary(), (messages, chunks) =>
        {
            var bytes = MessageGen.Encode(messages);
            var offset = 0;
            for (var i = 0; offset < bytes.Length; i++)
            {
                var size = Math.Min(chunks[i % chunks.Length], bytes.Length - offset);
                _peer!.SendAsync(bytes[offset..(offset + size)]).GetAwaiter().GetResult();
                offset += size;
            }
            foreach (var expected in messages)
            {
                using var message = _server.Receive();
                Assert.Equal(expected.Length, message.Count);
                for (var f = 0; f < expected.Length; f++)
                    Assert.True(expected[f].AsSpan().SequenceEqual(message[f].Span), $"frame {f} of {MessageGen.Describe(messages)} differs");
            }
            Assert.False(_server.TryReceive(out _, TimeSpan.Zero), "an extra message arrived");
        }));

    public Task DisposeAsync()
    {
        _peer?.Dispose();
        _server.Dispose();
        return Task.CompletedTask;
    }
}
