namespace Expair;

/// <summary>The ZMTP security mechanisms (37/ZMTP "Authentication and Confidentiality").</summary>
public enum SecurityMechanism
{
    /// <summary>NULL: no authentication, no encryption (37/ZMTP). The default, as in libzmq.</summary>
    Null,

    /// <summary>
    /// PLAIN (24/ZMTP-PLAIN): the client sends a user name and password in clear text for the server to check.
    /// No encryption; for trusted networks only.
    /// </summary>
    Plain,

    /// <summary>
    /// CURVE (25/ZMTP-CURVE, 26/CurveZMQ): the client authenticates the server by its public key, the server may
    /// authenticate the client by its public key, and every message is encrypted and authenticated.
    /// </summary>
    Curve,
}
