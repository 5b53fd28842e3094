using System.Security.Cryptography;
using System.Text;
using Expair.Internal;

namespace Expair;

/// <summary>
/// An <see cref="IPeerAuthenticator"/> for PLAIN servers: a table of user names and their passwords.
/// A client is let in when its user name is in the table and its password matches (compared in constant
/// time); any other client, and any peer using another mechanism, is denied with the same reason whether
/// the user or the password was wrong. Immutable; build a new table to change it.
/// </summary>
public sealed class PlainCredentials : IPeerAuthenticator
{
    // User name -> SHA-256 of the password, so that comparing takes the same time whatever the lengths.
    private readonly Dictionary<string, byte[]> _passwordHashes = new(StringComparer.Ordinal);

    /// <summary>A table of user name and password pairs (a user name listed twice keeps its last password).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="users"/>, a user name or a password is null.</exception>
    /// <exception cref="ArgumentException">A user name or password is longer than PLAIN's 255 UTF-8 bytes.</exception>
    public PlainCredentials(IEnumerable<KeyValuePair<string, string>> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        foreach (var (user, password) in users)
        {
            SocketSecurity.CheckPlainField(user, "user name", nameof(users));
            SocketSecurity.CheckPlainField(password, "password", nameof(users));
            _passwordHashes[user] = SHA256.HashData(Encoding.UTF8.GetBytes(password));
        }
    }

    /// <summary>How many users the table holds.</summary>
    public int Count => _passwordHashes.Count;

    /// <summary>Allows a PLAIN client whose user name and password match the table; denies everyone else.</summary>
    public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Mechanism != SecurityMechanism.Plain)
            return ValueTask.FromResult(AuthenticationResult.Deny($"the PLAIN credentials table admits PLAIN clients only, not {request.Mechanism.ToString().ToUpperInvariant()}"));
        Span<byte> offered = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(request.Password!), offered);
        // An unknown user is compared against a hash too, so the answer takes the same time either way.
        var known = _passwordHashes.TryGetValue(request.UserName!, out var expected);
        var match = Sodium.Equal32(offered, expected ?? UnknownUser);
        return ValueTask.FromResult(known && match
            ? AuthenticationResult.Allow
            : AuthenticationResult.Deny($"PLAIN user \"{request.UserName}\": unknown user or wrong password"));
    }

    private static readonly byte[] UnknownUser = new byte[SHA256.HashSizeInBytes];
}
