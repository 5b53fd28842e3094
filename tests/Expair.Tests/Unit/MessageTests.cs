using System.Text;

namespace Expair.Tests.Unit;

public class MessageTests
{
    [Fact]
    public void ByteArrayConstructor_CopiesFrames()
    {
        byte[] first = [1, 2, 3];
        byte[] second = [];
        using var message = new Message(first, second);
        first[0] = 99;

        Assert.Equal(2, message.Count);
        Assert.Equal([1, 2, 3], message.ToArray(0));
        Assert.Empty(message.ToArray(1));
        Assert.Equal(3, message[0].Length);
    }

    [Fact]
    public void StringConstructor_EncodesUtf8()
    {
        using var message = new Message("hello", "", "ünï");
        Assert.Equal(3, message.Count);
        Assert.Equal("hello", message.GetString());
        Assert.Equal("", message.GetString(1));
        Assert.Equal(Encoding.UTF8.GetBytes("ünï"), message.ToArray(2));
    }

    [Fact]
    public void Constructors_NullFrame_ThrowArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => new Message(new byte[] { 1 }, null!));
        Assert.Throws<ArgumentNullException>(() => new Message("a", null!));
    }

    [Fact]
    public void Add_AppendsCopiesAndReturnsSameMessage()
    {
        using var message = new Message();
        byte[] bytes = [7, 8];
        Assert.Same(message, message.Add(bytes).Add("text").Add(ReadOnlySpan<byte>.Empty));
        bytes[0] = 0;

        Assert.Equal(3, message.Count);
        Assert.Equal([7, 8], message.ToArray(0));
        Assert.Equal("text", message.GetString(1));
        Assert.Equal(0, message[2].Length);
    }

    [Fact]
    public void ByteCount_SumsEveryFrame()
    {
        using var message = new Message(new byte[10], [], new byte[300]);
        Assert.Equal(310, message.ByteCount);
        using var empty = new Message();
        Assert.Equal(0, empty.ByteCount);
    }

    [Fact]
    public void ToArray_ReturnsFreshCopy()
    {
        using var message = new Message(new byte[] { 1, 2 });
        var copy = message.ToArray();
        copy[0] = 42;
        Assert.Equal([1, 2], message.ToArray());
        Assert.NotSame(copy, message.ToArray());
    }

    [Fact]
    public void Enumerator_YieldsFramesInOrder()
    {
        using var message = new Message("a", "bc", "def");
        Assert.Equal(["a", "bc", "def"], message.Select(f => Encoding.UTF8.GetString(f.Span)));
        Assert.Equal("a | bc | def", message.ToString());
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        using var message = new Message("a");
        Assert.Throws<ArgumentOutOfRangeException>(() => message[1]);
    }

    [Fact]
    public void Dispose_ThenIndexerThrowsObjectDisposed()
    {
        var message = new Message("a", "b");
        message.Dispose();
        Assert.Throws<ObjectDisposedException>(() => message[0]);
        Assert.Throws<ObjectDisposedException>(() => message.GetString());
        Assert.Throws<ObjectDisposedException>(() => message.ToArray());
        Assert.Throws<ObjectDisposedException>(() => message.Add("c"));
        Assert.Throws<ObjectDisposedException>(() => message.Add([1]));
        Assert.Equal("(disposed message)", message.ToString());
    }

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var message = new Message("a");
        message.Dispose();
        message.Dispose();
        Assert.Throws<ObjectDisposedException>(() => message[0]);
    }
}
