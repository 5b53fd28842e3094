using System.Globalization;

using Expair.Tests.Hostile;
using Expair.Tests.Platform;

namespace Expair.Tests.Engine;

/// <summary>
/// A connection runs on its own threads with blocking calls from connect or accept on, so .NET's event loop must
/// never watch it: its epoll sets would wake the event-loop thread on every arrival (a quarter of all context
/// switches on a 1 MiB ping-pong). Checked in /proc: no epoll set of the process may hold the connection's socket (Linux only, where
/// the I/O threads make blocking calls). Runs in the process-wide collection so no other test's sockets come and go.
/// </summary>
[Collection(nameof(ProcessWideMeasurements))]
[Trait(LinuxPath.Trait, LinuxPath.Value)]
public class EventLoopRegistrationTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public void ConnectedSockets_AreNotWatchedByDotNetsEventLoop(string transport)
    {
        LinuxPath.Require(); // which also means Linux, whose /proc these checks read
        var options = PairSocketOptions.Default with { SendTimeout = TimeSpan.FromSeconds(10), ReceiveTimeout = TimeSpan.FromSeconds(10), Linger = TimeSpan.Zero };
        var path = $"{Path.GetTempPath()}expair-epoll-{Guid.NewGuid():N}.sock";
        using var server = new PairSocket(options);
        using var client = new PairSocket(options);
        var bound = server.Bind(transport == "tcp" ? "tcp://127.0.0.1:0" : $"ipc://{path}");
        client.Connect(bound);
        client.Send("ping");
        Assert.Equal("ping", server.ReceiveString());
        server.Send("pong"); // both ends in their traffic phase
        Assert.Equal("pong", client.ReceiveString());

        // A listener of the test's own, accepting asynchronously, is watched by .NET's event loop (the control).
        using var control = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        control.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        control.Listen();
        var pendingAccept = control.AcceptAsync();

        var connection = transport == "tcp" ? TcpInodes(new Uri(bound).Port) : UnixInodes(path);
        Assert.Equal(transport == "tcp" ? 2 : 1, connection.Count); // both tcp ends; the accepted unix end carries the path
        var watched = WatchedInodes();
        // The control is watched: the check does see registrations ...
        Assert.Contains(ListenerInode("tcp", ((System.Net.IPEndPoint)control.LocalEndPoint!).Port, path), watched);
        Assert.Empty(connection.Intersect(watched)); // ... and the connection has none left
        // The socket's own listener accepts on a thread of its own, blocking: not watched either.
        Assert.DoesNotContain(ListenerInode(transport, new Uri(bound).Port, path), watched);
        Assert.False(pendingAccept.IsCompleted);
    }

    /// <summary>Inodes of the files the epoll sets of this process watch (from each set's fdinfo "tfd:" lines).</summary>
    private static HashSet<long> WatchedInodes()
    {
        var watched = new HashSet<long>();
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }
            if (target != "anon_inode:[eventpoll]")
                continue;
            foreach (var line in File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}"))
            {
                if (!line.StartsWith("tfd:", StringComparison.Ordinal))
                    continue;
                var ino = line[(line.IndexOf(" ino:", StringComparison.Ordinal) + 5)..].Split(' ')[0];
                watched.Add(long.Parse(ino, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }
        return watched;
    }

    /// <summary>Inodes of the established tcp sockets with <paramref name="port"/> at either end (/proc/net/tcp, hex ports).</summary>
    private static List<long> TcpInodes(int port) =>
        [.. TcpLines().Where(f => f[3] == "01" && (PortOf(f[1]) == port || PortOf(f[2]) == port)).Select(f => long.Parse(f[9], CultureInfo.InvariantCulture))];

    private static long ListenerInode(string transport, int port, string path) => transport == "tcp"
        ? TcpLines().Where(f => f[3] == "0A" && PortOf(f[1]) == port).Select(f => long.Parse(f[9], CultureInfo.InvariantCulture)).Single()
        : UnixLines(path).Where(f => f[5] == "01").Select(f => long.Parse(f[6], CultureInfo.InvariantCulture)).Single();

    /// <summary>Inodes of the connected unix sockets bound to <paramref name="path"/> (/proc/net/unix state 03).</summary>
    private static List<long> UnixInodes(string path) =>
        [.. UnixLines(path).Where(f => f[5] == "03").Select(f => long.Parse(f[6], CultureInfo.InvariantCulture))];

    /// <summary>IPv4 and IPv6 sockets alike (a dual-mode socket connecting to 127.0.0.1 is listed under tcp6).</summary>
    private static IEnumerable<string[]> TcpLines() =>
        new[] { "/proc/net/tcp", "/proc/net/tcp6" }.SelectMany(file => File.ReadLines(file).Skip(1))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static IEnumerable<string[]> UnixLines(string path) =>
        File.ReadLines("/proc/net/unix").Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length > 7 && f[7] == path);

    private static int PortOf(string address) => int.Parse(address[(address.IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
