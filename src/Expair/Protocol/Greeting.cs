using System.Text;

namespace Expair.Protocol;

/// <summary>
/// The 64-byte ZMTP greeting (23/ZMTP and 37/ZMTP "Version Negotiation"): signature, version, mechanism,
/// as-server, filler. Pure: it reads and writes spans and never touches a socket.
/// </summary>
internal static class Greeting
{
    public const int Size = 64;

    /// <summary>Signature (10) plus major version (1): enough to tell a ZMTP 3.x peer from an older one.</summary>
    public const int VersionDetectSize = 11;

    public const byte MajorVersion = 3;
    public const byte MinorVersion = 1;

    private const int MechanismOffset = 12;
    private const int MechanismSize = 20;
    private const int AsServerOffset = 32;

    /// <summary>Writes our whole greeting. 37/ZMTP lets a peer send all 64 octets at once, and libzmq
    /// waits for our first 11 before sending the rest of its own, so we never hold any back.</summary>
    public static void Write(Span<byte> destination, string mechanism = "NULL", bool asServer = false)
    {
        destination = destination[..Size];
        destination.Clear();
        destination[0] = 0xFF;
        destination[9] = 0x7F;
        destination[10] = MajorVersion;
        destination[11] = MinorVersion;
        Encoding.ASCII.GetBytes(mechanism, destination.Slice(MechanismOffset, MechanismSize));
        destination[AsServerOffset] = asServer ? (byte)1 : (byte)0;
    }

    /// <summary>
    /// Checks as much of the peer's greeting as has arrived. Returns <see cref="GreetingStatus.NeedMoreData"/>
    /// until all 64 bytes are there, or a refusal as soon as the bytes seen so far rule the peer out.
    /// </summary>
    public static GreetingStatus Check(ReadOnlySpan<byte> received, out PeerGreeting greeting)
    {
        greeting = default;
        if (received.Length >= 1 && received[0] != 0xFF)
            return GreetingStatus.NotZmtp3; // ZMTP 1.0 starts with a frame length, not the 0xFF signature
        if (received.Length >= 10 && received[9] != 0x7F)
            return GreetingStatus.NotZmtp3; // a ZMTP 1.0 long frame also starts with 0xFF; 0x7F marks 2.0+
        if (received.Length >= VersionDetectSize && received[10] < MajorVersion)
            return GreetingStatus.OldVersion;
        if (received.Length < Size)
            return GreetingStatus.NeedMoreData;

        var mechanism = received.Slice(MechanismOffset, MechanismSize);
        var end = mechanism.IndexOf((byte)0);
        if (end < 0)
            end = MechanismSize;
        greeting = new PeerGreeting(received[10], received[11], Encoding.ASCII.GetString(mechanism[..end]), received[AsServerOffset] == 1);
        return GreetingStatus.Complete;
    }
}

internal enum GreetingStatus
{
    NeedMoreData,
    Complete,
    /// <summary>The bytes are not a ZMTP 2.0+ signature (ZMTP 1.0 or not ZeroMQ at all).</summary>
    NotZmtp3,
    /// <summary>A ZMTP 2.0 (libzmq 3.x) peer, which cannot speak the ZMTP 3 handshake.</summary>
    OldVersion,
}

internal readonly record struct PeerGreeting(byte Major, byte Minor, string Mechanism, bool AsServer)
{
    /// <summary>PING and PONG exist from ZMTP 3.1 on; a 3.0 peer must not be sent them.</summary>
    public bool SupportsHeartbeats => Major > 3 || Minor >= 1;
}
