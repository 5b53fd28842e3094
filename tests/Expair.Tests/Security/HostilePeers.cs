using Expair.Protocol.Mechanisms;
using static Expair.Tests.Security.SecureLink;

namespace Expair.Tests.Security;

/// <summary>
/// A raw client facing a bound Expair PLAIN or CURVE server: the wire, a CURVE script for its boxes, and the steps
/// of a genuine handshake so a case can stop anywhere and send something else.
/// </summary>
internal sealed class HostileClient(WirePeer wire, CurveClientScript curve)
{
    /// <summary>The ERROR a denied peer gets: 27/ZAP's status code 400, as libzmq sends it.</summary>
    public static readonly byte[] Error400 = [5, .. "ERROR"u8, 3, .. "400"u8];

    public WirePeer Wire => wire;

    public CurveClientScript Curve => curve;

    /// <summary>Sends a greeting and reads the server's.</summary>
    public async Task GreetAsync(string mechanism)
    {
        await wire.SendGreetingAsync(mechanism, asServer: false);
        await wire.ReadGreetingAsync();
    }

    public Task SendAsync(byte[] command) => wire.SendCommandAsync(command);

    /// <summary>A data frame where a command is due: a MESSAGE before the handshake is done.</summary>
    public Task SendDataAsync() => wire.SendFrameAsync("too early"u8);

    /// <summary>CURVE: greeting, HELLO, WELCOME; INITIATE is next.</summary>
    public async Task CurveUpToInitiateAsync()
    {
        await GreetAsync("CURVE");
        await SendAsync(curve.Hello());
        curve.ReadWelcome(await wire.ReadCommandAsync(CurveCommands.Welcome));
    }

    /// <summary>CURVE: the whole handshake; READY read, so MESSAGEs may follow.</summary>
    public async Task CurveHandshakeAsync()
    {
        await CurveUpToInitiateAsync();
        await SendAsync(curve.Initiate());
        Assert.Equal(1UL, curve.ReadReady(await wire.ReadCommandAsync(CurveCommands.Ready)));
    }

    /// <summary>PLAIN: greeting, HELLO with the given credentials, WELCOME; INITIATE is next.</summary>
    public async Task PlainUpToInitiateAsync(string password = Password)
    {
        await GreetAsync("PLAIN");
        await SendAsync(PlainHello(User, password));
        PlainCommands.ReadWelcome(await wire.ReadCommandAsync(PlainCommands.Welcome));
    }

    public static byte[] PlainHello(string user, string password)
    {
        var body = new byte[PlainCommands.HelloLength(System.Text.Encoding.UTF8.GetBytes(user), System.Text.Encoding.UTF8.GetBytes(password))];
        PlainCommands.WriteHello(body, System.Text.Encoding.UTF8.GetBytes(user), System.Text.Encoding.UTF8.GetBytes(password));
        return body;
    }

    /// <summary>A PLAIN INITIATE or READY body carrying raw metadata bytes.</summary>
    public static byte[] PlainMetadataCommand(string name, byte[]? metadata = null) =>
        [(byte)name.Length, .. System.Text.Encoding.ASCII.GetBytes(name), .. metadata ?? CurveClientScript.PairMetadata];
}

/// <summary>
/// A raw server accepted from a connecting Expair PLAIN or CURVE client: the wire, a CURVE script for its boxes,
/// and the steps of a genuine handshake, so a case can stop anywhere and send something else.
/// </summary>
internal sealed class HostileServer(WirePeer wire, CurveServerScript curve)
{
    public WirePeer Wire => wire;

    public CurveServerScript Curve => curve;

    public async Task GreetAsync(string mechanism)
    {
        await wire.SendGreetingAsync(mechanism, asServer: true);
        await wire.ReadGreetingAsync();
    }

    public Task SendAsync(byte[] command) => wire.SendCommandAsync(command);

    public Task SendDataAsync() => wire.SendFrameAsync("too early"u8);

    /// <summary>CURVE: greeting and the client's HELLO read; WELCOME is next.</summary>
    public async Task CurveUpToWelcomeAsync()
    {
        await GreetAsync("CURVE");
        curve.ReadHello(await wire.ReadCommandAsync(CurveCommands.Hello));
    }

    /// <summary>CURVE: up to the client's INITIATE, read and checked; READY is next.</summary>
    public async Task CurveUpToReadyAsync()
    {
        await CurveUpToWelcomeAsync();
        await SendAsync(curve.Welcome());
        curve.ReadInitiate(await wire.ReadCommandAsync(CurveCommands.Initiate));
    }

    /// <summary>PLAIN: greeting and the client's HELLO read; WELCOME is next.</summary>
    public async Task PlainUpToWelcomeAsync()
    {
        await GreetAsync("PLAIN");
        Assert.Equal((User, Password), PlainCommands.ReadHello(await wire.ReadCommandAsync(PlainCommands.Hello)));
    }

    /// <summary>PLAIN: up to the client's INITIATE; READY is next.</summary>
    public async Task PlainUpToReadyAsync()
    {
        await PlainUpToWelcomeAsync();
        await SendAsync(PlainWelcome);
        PlainCommands.ReadMetadataCommand(await wire.ReadCommandAsync(PlainCommands.Initiate), PlainCommands.Initiate);
    }

    public static byte[] PlainWelcome => [7, .. "WELCOME"u8];
}

/// <summary>Byte surgery on commands for the case tables.</summary>
internal static class Tamper
{
    /// <summary>A copy with bit 0 of byte <paramref name="at"/> flipped (negative counts from the end).</summary>
    public static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at < 0 ? copy.Length + at : at] ^= 0x01;
        return copy;
    }

    /// <summary>A copy whose name's last letter is the next one ("HELLO" becomes "HELLP").</summary>
    public static byte[] Renamed(byte[] bytes) => Set(bytes, bytes[0], (byte)(bytes[bytes[0]] + 1));

    public static byte[] Set(byte[] bytes, int at, byte value)
    {
        var copy = bytes.ToArray();
        copy[at] = value;
        return copy;
    }
}
