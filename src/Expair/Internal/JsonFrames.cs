using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Expair.Internal;

/// <summary>
/// JSON text to and from one frame, for <see cref="PairSocket"/>'s JSON methods. Serialization writes into a
/// per-thread buffer that the send copies from before it returns (or before its first await), so sending JSON
/// costs the serializer's own work and one frame, not a fresh array per message.
/// </summary>
internal static class JsonFrames
{
    /// <summary>Buffers that grew past this are dropped after use, so one huge message does not stay pinned per thread.</summary>
    private const int KeptBufferBytes = 64 * 1024;

    [ThreadStatic]
    private static MemoryStream? t_buffer;

    /// <summary>
    /// <paramref name="value"/> as UTF-8 JSON, honouring every setting of the type info's options (the stream
    /// overload, unlike a caller-made Utf8JsonWriter, applies indentation and encoder settings). The span is
    /// valid until the next call on this thread.
    /// </summary>
    public static ReadOnlySpan<byte> Serialize<T>(T value, JsonTypeInfo<T> jsonTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        var buffer = t_buffer;
        if (buffer is null || buffer.Capacity > KeptBufferBytes)
            t_buffer = buffer = new MemoryStream();
        buffer.SetLength(0);
        JsonSerializer.Serialize(buffer, value, jsonTypeInfo);
        return buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
    }

    /// <summary>Reads <paramref name="frame"/> as JSON and releases it, whether or not the text was valid.</summary>
    public static T? Deserialize<T>(Frame frame, JsonTypeInfo<T> jsonTypeInfo)
    {
        try
        {
            return JsonSerializer.Deserialize(frame.Span, jsonTypeInfo);
        }
        catch (JsonException e)
        {
            throw new JsonException(
                $"The received message ({frame.Length} bytes) is not valid JSON for {typeof(T).Name}: {e.Message} The message was consumed; the socket is still usable.",
                e.Path, e.LineNumber, e.BytePositionInLine, e);
        }
        finally
        {
            frame.Release();
        }
    }

    /// <summary>The reflection-based type info for <typeparamref name="T"/> from <paramref name="options"/> (or the defaults).</summary>
    [RequiresUnreferencedCode("Reflection-based JSON serialization")]
    [RequiresDynamicCode("Reflection-based JSON serialization")]
    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions? options)
    {
        options ??= JsonSerializerOptions.Default;
        options.MakeReadOnly(populateMissingResolver: true);
        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }
}
