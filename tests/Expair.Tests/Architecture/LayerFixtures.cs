using System.Net.Sockets;

// Deliberately layered types for LayerTests: a miniature of the library under the root namespace
// Expair.Tests.Architecture.Fixture, with one kind of reference per type, so the scanner and the rules
// are shown to catch each kind. Nothing calls them.
#pragma warning disable CA1812, CA1822, CA1852, CA2211, IDE0051, IDE0052, CS0169, CS0649
namespace Expair.Tests.Architecture.Fixture
{
    /// <summary>Stands for the public options type: not plain data.</summary>
    public sealed class PairSocketOptions
    {
        public static PairSocketOptions Make() => new();
    }

    /// <summary>Stands for plain public data.</summary>
    public sealed class Message;

    public class PublicBase;

    public interface IPublicApi;

    [AttributeUsage(AttributeTargets.All)]
    public sealed class PublicAttribute : Attribute;
}

namespace Expair.Tests.Architecture.Fixture.Core
{
    internal sealed class BaseTypeUser : PublicBase;

    internal sealed class InterfaceUser : IPublicApi;

    [Public]
    internal sealed class AttributeUser;

    internal sealed class FieldUser
    {
        private readonly PairSocketOptions? _options;
    }

    internal sealed class SignatureUser
    {
        public int Take(PairSocketOptions options) => 0;
    }

    internal sealed class LocalUser
    {
        public static int Sum(object[] others)
        {
            // Used twice across a call, so the compiler keeps it in a local.
            var options = (PairSocketOptions)others[0];
            Touch();
            return options.GetHashCode() + options.GetHashCode();
        }

        private static void Touch() { }
    }

    internal sealed class CallUser
    {
        public static object Make() => PairSocketOptions.Make();
    }

    internal sealed class LambdaUser
    {
        public static Func<object> Later() => () => PairSocketOptions.Make();
    }

    internal sealed class EngineUser
    {
        public static object Make() => new Engine.Connection();
    }

    internal sealed class AllowedPlainDataUser
    {
        public static object Make() => new Message();
    }
}

namespace Expair.Tests.Architecture.Fixture.Engine
{
    internal sealed class Connection;

    internal sealed class AllowedTransportUser
    {
        public static object Make() => new Transport.Endpoint();
    }
}

namespace Expair.Tests.Architecture.Fixture.Transport
{
    internal sealed class Endpoint;

    internal sealed class PlainDataUser
    {
        public static object Make() => new Message();
    }
}

namespace Expair.Tests.Architecture.Fixture.Protocol
{
    internal sealed class SocketUser
    {
        public static object Kind() => SocketType.Stream;
    }
}

namespace Expair.Tests.Architecture.Fixture.Internal
{
    internal sealed class CoreUser
    {
        public static object Make() => new Core.CallUser();
    }
}

namespace Expair.Tests.Architecture.Fixture.Somewhere
{
    internal sealed class Unlayered;
}
#pragma warning restore CA1812, CA1822, CA1852, CA2211, IDE0051, IDE0052, CS0169, CS0649
