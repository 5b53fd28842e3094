using System.Globalization;
using System.Text;

namespace Expair.Transport;

internal enum TransportKind { Tcp, Ipc, InProc }

/// <summary>
/// A parsed endpoint string: <c>tcp://host:port</c> (<c>*</c> for any interface or a free port when binding),
/// <c>ipc:///path/to/socket</c>, or <c>inproc://name</c>. Parsing throws <see cref="ArgumentException"/> whose
/// message names the endpoint and what is wrong with it.
/// </summary>
internal sealed record Endpoint(TransportKind Kind, string Address, string Host, int Port)
{
    public const int MaxInProcNameLength = 256;

    public static Endpoint Parse(string endpoint, bool forBind)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var separator = endpoint.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
            throw Bad(endpoint, "expected transport://address, for example tcp://127.0.0.1:5555, ipc:///tmp/x.sock or inproc://name");
        var scheme = endpoint[..separator];
        var address = endpoint[(separator + 3)..];
        return scheme switch
        {
            "tcp" => ParseTcp(endpoint, address, forBind),
            "ipc" => ParseIpc(endpoint, address),
            "inproc" => ParseInProc(endpoint, address),
            _ => throw Bad(endpoint, $"unknown transport '{scheme}'; Expair supports tcp, ipc and inproc"),
        };
    }

    public override string ToString() => Kind switch
    {
        TransportKind.Tcp => $"tcp://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{(Port == 0 ? "*" : Port.ToString(CultureInfo.InvariantCulture))}",
        TransportKind.Ipc => "ipc://" + Address,
        _ => "inproc://" + Address,
    };

    private static Endpoint ParseTcp(string endpoint, string address, bool forBind)
    {
        var colon = address.LastIndexOf(':');
        if (colon < 0)
            throw Bad(endpoint, "a tcp endpoint needs host:port, for example tcp://127.0.0.1:5555");
        var host = address[..colon];
        var portText = address[(colon + 1)..];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        else if (host.Contains(':', StringComparison.Ordinal) || host.Contains('[', StringComparison.Ordinal) || host.Contains(']', StringComparison.Ordinal))
            throw Bad(endpoint, "the host is malformed; write an IPv6 address in brackets, for example tcp://[::1]:5555");
        if (host.Length == 0)
            throw Bad(endpoint, "the host is missing; use * to bind every interface");
        if (host == "*" && !forBind)
            throw Bad(endpoint, "cannot connect to host *; name the host to connect to");
        int port;
        if (portText == "*" || portText == "0")
        {
            if (!forBind)
                throw Bad(endpoint, "a connect endpoint needs a real port, not * or 0");
            port = 0;
        }
        else if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            throw Bad(endpoint, $"'{portText}' is not a port; use 1-65535, or * to bind a free port");
        }
        return new Endpoint(TransportKind.Tcp, address, host, port);
    }

    private static Endpoint ParseIpc(string endpoint, string path)
    {
        if (path.Length == 0)
            throw Bad(endpoint, "the ipc path is empty; use ipc:///path/to/socket");
        if (Encoding.UTF8.GetByteCount(path) > Ipc.IpcPathLimit.MaxBytes)
            throw Bad(endpoint, $"the ipc path is {Encoding.UTF8.GetByteCount(path)} bytes; unix sockets on this system allow at most {Ipc.IpcPathLimit.MaxBytes}");
        if (path.Contains('\0', StringComparison.Ordinal))
            throw Bad(endpoint, "the ipc path contains a NUL character");
        return new Endpoint(TransportKind.Ipc, path, "", 0);
    }

    private static Endpoint ParseInProc(string endpoint, string name)
    {
        if (name.Length == 0)
            throw Bad(endpoint, "the inproc name is empty; use inproc://some-name");
        if (name.Length > MaxInProcNameLength)
            throw Bad(endpoint, $"the inproc name is {name.Length} characters; at most {MaxInProcNameLength} are allowed");
        return new Endpoint(TransportKind.InProc, name, "", 0);
    }

    private static ArgumentException Bad(string endpoint, string why) =>
        new($"Invalid endpoint '{endpoint}': {why}.", nameof(endpoint));
}
