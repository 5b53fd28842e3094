using System.Text;
using Expair.Interop.Tests.Native;

namespace Expair.Interop.Tests;

/// <summary>
/// What a test class against libzmq starts from: a libzmq context of its own, the resources its tests make (released
/// in reverse order, then the context), and libzmq's example CURVE key pairs (<see cref="CurveTestKeys"/>), made on
/// first use and released with the rest.
/// </summary>
public abstract class LibZmqFixture : IDisposable
{
    private CurveKeyPair? _serverKeys, _clientKeys;

    private protected ZmqContext Context { get; } = new();

    private protected TestResources Resources { get; } = new();

    /// <summary>The example server pair (<see cref="CurveTestKeys.ServerSecret"/>).</summary>
    private protected CurveKeyPair ServerKeys => _serverKeys ??= Track(CurveKeyPair.FromSecretKey(CurveTestKeys.ServerSecret));

    /// <summary>The example client pair (<see cref="CurveTestKeys.ClientSecret"/>).</summary>
    private protected CurveKeyPair ClientKeys => _clientKeys ??= Track(CurveKeyPair.FromSecretKey(CurveTestKeys.ClientSecret));

    private protected T Track<T>(T disposable)
        where T : IDisposable => Resources.Track(disposable);

    /// <summary>A message each way, libzmq first: the link carries traffic.</summary>
    private protected static void RoundTrip(PairSocket expair, ZmqSocket zmq, string text)
    {
        zmq.Send(Encoding.UTF8.GetBytes($"{text} ping"));
        Assert.Equal($"{text} ping", expair.ReceiveString());
        expair.Send($"{text} pong");
        Assert.Equal($"{text} pong", Encoding.UTF8.GetString(Assert.Single(zmq.Receive())));
    }

    public void Dispose()
    {
        Resources.Dispose();
        Context.Dispose();
        GC.SuppressFinalize(this);
    }
}
