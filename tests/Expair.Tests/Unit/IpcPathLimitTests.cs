using System.Net.Sockets;
using System.Text;
using Expair.Transport.Ipc;
using static Expair.Transport.Ipc.IpcPathLimit;

namespace Expair.Tests.Unit;

/// <summary>The ipc path limit is the operating system's: sun_path's size less its terminating zero.</summary>
public class IpcPathLimitTests
{
    [Theory]
    [InlineData(nameof(SystemFamily.Linux), 107)]
    [InlineData(nameof(SystemFamily.Bsd), 103)]
    [InlineData(nameof(SystemFamily.Windows), 107)]
    public void MaxBytesOn_IsSunPathLessTheTerminatingZero(string family, int expected) =>
        Assert.Equal(expected, MaxBytesOn(Enum.Parse<SystemFamily>(family)));

    [Fact]
    public void MaxBytes_IsThisSystemsLimit()
    {
        var expected = OperatingSystem.IsWindows() ? 107
            : OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 103
            : 107;
        Assert.Equal(expected, MaxBytes);
    }

    [Fact]
    public void MaxBytes_IsWhatDotNetsUnixEndpointTakes()
    {
        _ = new UnixDomainSocketEndPoint("/" + new string('p', MaxBytes - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UnixDomainSocketEndPoint("/" + new string('p', MaxBytes)));
    }

    [Fact]
    public void PathOfExactlyMaxBytes_BindsAndCarriesAMessage()
    {
        var directory = Path.Combine(Path.GetTempPath(), "expair-limit-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var prefix = directory + "/";
        var path = prefix + new string('p', MaxBytes - Encoding.UTF8.GetByteCount(prefix));
        Assert.Equal(MaxBytes, Encoding.UTF8.GetByteCount(path));
        try
        {
            var options = PairSocketOptions.Default with { SendTimeout = TimeSpan.FromSeconds(10), ReceiveTimeout = TimeSpan.FromSeconds(10), Linger = TimeSpan.Zero };
            using var server = new PairSocket(options);
            using var client = new PairSocket(options);
            client.Connect(server.Bind("ipc://" + path));
            client.Send("at the limit");
            Assert.Equal("at the limit", server.ReceiveString());
            Assert.Throws<ArgumentException>(() => server.Bind("ipc://" + path + "q"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
