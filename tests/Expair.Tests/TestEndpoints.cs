namespace Expair.Tests;

/// <summary>Endpoints for tests that must know the address before anything binds it.</summary>
internal static class TestEndpoints
{
    /// <summary>A tcp port that was free a moment ago, on the loopback address.</summary>
    public static string FreeTcp()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return $"tcp://127.0.0.1:{((System.Net.IPEndPoint)probe.LocalEndpoint).Port}";
    }
}
