using System.Net;
using System.Net.Sockets;
using Expair.Core;
using Expair.Internal;
using Expair.Transport;

namespace Expair.Tests.Platform;

/// <summary>What the process's I/O path looks like from inside: the decision, a wait, and a connection's calls.</summary>
internal sealed record IoPathObservation(bool LinuxCalls, bool FutexWaits, bool NativeStream, bool SendsWithoutWaiting, bool ReceiveTimeout, bool WaitsInPoll, bool RoundTrips)
{
    /// <summary>The Linux path in every respect.</summary>
    public static IoPathObservation Linux { get; } = new(true, true, true, true, true, false, true);

    /// <summary>The portable path in every respect.</summary>
    public static IoPathObservation Portable { get; } = new(false, false, false, false, false, true, true);

    public string Format() =>
        $"linux-calls={LinuxCalls} futex-waits={FutexWaits} native-stream={NativeStream} sends-without-waiting={SendsWithoutWaiting} " +
        $"receive-timeout={ReceiveTimeout} waits-in-poll={WaitsInPoll} round-trips={RoundTrips}";

    public static IoPathObservation Parse(string line)
    {
        var values = line.Trim().Split(' ').Select(pair => pair.Split('=')).ToDictionary(kv => kv[0], kv => bool.Parse(kv[1]));
        return new(values["linux-calls"], values["futex-waits"], values["native-stream"], values["sends-without-waiting"],
            values["receive-timeout"], values["waits-in-poll"], values["round-trips"]);
    }
}

/// <summary>Observes the I/O path this process took (<see cref="IoPlatform"/>), in this process or a child one.</summary>
internal static class IoPathProbe
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static IoPathObservation Observe()
    {
        var linuxCalls = IoPlatform.UsesLinuxCalls;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // Blocking, as the connector and listener do (the backlog takes the connection before the accept).
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        var stream = new BlockingStream(server);
        var observation = new IoPathObservation(
            linuxCalls,
            Signal.SleepsOnFutex,
            stream.UsesLinuxCalls,
            stream.CanSendWithoutWaiting,
            stream.TrySetReceiveTimeout(Patience),
            !server.Blocking, // the portable calls switch .NET's socket to non-blocking mode and wait in poll
            RoundTrips(client, stream));
        return observation;
    }

    /// <summary>Bytes both ways through the stream, then a PAIR exchange over tcp and ipc with blocking waits on both sides.</summary>
    private static bool RoundTrips(Socket client, BlockingStream server)
    {
        client.Send("ping"u8);
        var buffer = new byte[4];
        for (int read = 0, count; read < buffer.Length; read += count)
        {
            if ((count = server.Receive(buffer.AsSpan(read))) <= 0)
                return false;
        }
        server.Send("pong"u8);
        var got = new byte[4];
        for (int read = 0, count; read < got.Length; read += count)
        {
            if ((count = client.Receive(got.AsSpan(read))) <= 0)
                return false;
        }
        if (!"ping"u8.SequenceEqual(buffer) || !"pong"u8.SequenceEqual(got))
            return false;
        var path = $"{Path.GetTempPath()}expair-probe-{Guid.NewGuid():N}.sock";
        return Exchange("tcp://127.0.0.1:*") && Exchange($"ipc://{path}");
    }

    private static bool Exchange(string endpoint)
    {
        var options = PairSocketOptions.Default with { SendTimeout = Patience, ReceiveTimeout = Patience, Linger = TimeSpan.FromSeconds(1) };
        using var a = new PairSocket(options);
        using var b = new PairSocket(options);
        b.Connect(a.Bind(endpoint));
        for (var i = 0; i < 100; i++)
        {
            b.Send($"request {i}");
            if (a.ReceiveString() != $"request {i}")
                return false;
            a.Send($"reply {i}");
            if (b.ReceiveString() != $"reply {i}")
                return false;
        }
        return true;
    }
}
