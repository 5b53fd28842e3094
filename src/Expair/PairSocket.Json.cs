using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Expair.Internal;

namespace Expair;

// JSON messages as pyzmq's send_json/recv_json make them: one frame holding the value as UTF-8 JSON text.
// The JsonTypeInfo<T> overloads are trim and NativeAOT safe (pass a source-generated JsonSerializerContext's
// property); the JsonSerializerOptions overloads use reflection, as JsonSerializer's own do.
public sealed partial class PairSocket
{
    private const string ReflectionJson =
        "JSON serialization with JsonSerializerOptions may need types trimming removes; pass a JsonTypeInfo<T> from a source-generated JsonSerializerContext instead.";
    private const string DynamicJson =
        "JSON serialization with JsonSerializerOptions may generate code at run time; pass a JsonTypeInfo<T> from a source-generated JsonSerializerContext instead.";

    /// <summary>
    /// Sends <paramref name="value"/> as one frame of UTF-8 JSON, the message pyzmq's <c>send_json</c> sends and
    /// its <c>recv_json</c> reads. Blocks like <see cref="Send(ReadOnlySpan{byte})"/>.
    /// </summary>
    public void SendJson<T>(T value, JsonTypeInfo<T> jsonTypeInfo) => Send(JsonFrames.Serialize(value, jsonTypeInfo));

    /// <summary>Sends <paramref name="value"/> as one frame of UTF-8 JSON; see <see cref="SendJson{T}(T, JsonTypeInfo{T})"/>.</summary>
    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(DynamicJson)]
    public void SendJson<T>(T value, JsonSerializerOptions? options = null) => SendJson(value, JsonFrames.TypeInfo<T>(options));

    /// <summary>Sends <paramref name="value"/> as one frame of UTF-8 JSON, waiting asynchronously for a peer or queue room.</summary>
    public ValueTask SendJsonAsync<T>(T value, JsonTypeInfo<T> jsonTypeInfo, CancellationToken cancellationToken = default) =>
        SendFrameAsync(Frame.Copy(JsonFrames.Serialize(value, jsonTypeInfo), more: false), cancellationToken);

    /// <summary>Sends <paramref name="value"/> as one frame of UTF-8 JSON, waiting asynchronously for a peer or queue room.</summary>
    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(DynamicJson)]
    public ValueTask SendJsonAsync<T>(T value, JsonSerializerOptions? options = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync(value, JsonFrames.TypeInfo<T>(options), cancellationToken);

    /// <summary>
    /// Receives the next message and reads it as UTF-8 JSON (what pyzmq's <c>send_json</c> sends). Blocks like
    /// <see cref="ReceiveString"/>; a multipart message stays queued and <see cref="InvalidOperationException"/> is thrown.
    /// </summary>
    /// <exception cref="JsonException">The message is not valid JSON for <typeparamref name="T"/>. The message is
    /// consumed and the socket stays usable; the exception says where the text went wrong.</exception>
    public T? ReceiveJson<T>(JsonTypeInfo<T> jsonTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        return JsonFrames.Deserialize(ReceiveSingleFrame(), jsonTypeInfo);
    }

    /// <summary>Receives the next message as UTF-8 JSON; see <see cref="ReceiveJson{T}(JsonTypeInfo{T})"/>.</summary>
    /// <exception cref="JsonException">The message is not valid JSON for <typeparamref name="T"/>; the socket stays usable.</exception>
    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(DynamicJson)]
    public T? ReceiveJson<T>(JsonSerializerOptions? options = null) => ReceiveJson(JsonFrames.TypeInfo<T>(options));

    /// <summary>
    /// Receives the next message as UTF-8 JSON (see <see cref="ReceiveJson{T}(JsonTypeInfo{T})"/>), waiting at most
    /// <paramref name="timeout"/>. False when none came.
    /// </summary>
    /// <exception cref="JsonException">A message came but is not valid JSON for <typeparamref name="T"/>; the socket stays usable.</exception>
    public bool TryReceiveJson<T>(out T? value, TimeSpan timeout, JsonTypeInfo<T> jsonTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        if (!TryReceiveSingleFrame(out var frame, ValidTimeout(timeout)))
        {
            value = default;
            return false;
        }
        value = JsonFrames.Deserialize(frame, jsonTypeInfo);
        return true;
    }

    /// <summary>Receives the next message as UTF-8 JSON, asynchronously; see <see cref="ReceiveJson{T}(JsonTypeInfo{T})"/>.</summary>
    /// <exception cref="JsonException">The message is not valid JSON for <typeparamref name="T"/>; the socket stays usable.</exception>
    public async ValueTask<T?> ReceiveJsonAsync<T>(JsonTypeInfo<T> jsonTypeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        return JsonFrames.Deserialize(await ReceiveSingleFrameAsync(cancellationToken).ConfigureAwait(false), jsonTypeInfo);
    }

    /// <summary>Receives the next message as UTF-8 JSON, asynchronously; see <see cref="ReceiveJson{T}(JsonTypeInfo{T})"/>.</summary>
    /// <exception cref="JsonException">The message is not valid JSON for <typeparamref name="T"/>; the socket stays usable.</exception>
    [RequiresUnreferencedCode(ReflectionJson)]
    [RequiresDynamicCode(DynamicJson)]
    public ValueTask<T?> ReceiveJsonAsync<T>(JsonSerializerOptions? options = null, CancellationToken cancellationToken = default) =>
        ReceiveJsonAsync(JsonFrames.TypeInfo<T>(options), cancellationToken);
}
