using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Expair.Cli;

/// <summary>How a frame is written as text on the command line (<c>--format</c>).</summary>
internal enum MessageFormat { Text, Hex, Base64 }

/// <summary>
/// Frames to and from their text forms, one message per line. <b>hex</b> and <b>base64</b> are exact for any
/// bytes. <b>text</b> is for people: a frame prints as UTF-8 (bytes that are not UTF-8 print as U+FFFD), and
/// what would break the line format is escaped: a line break as <c>\n</c> or <c>\r</c>, and in a message of
/// several frames a tab inside a frame as <c>\t</c>, so the tabs left are the ones between frames. Text is not
/// reversible (a frame holding a backslash and an n reads the same); send binary with hex or base64.
/// </summary>
internal static class MessageFormats
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool TryParse(string text, out MessageFormat format)
    {
        switch (text)
        {
            case "text": format = MessageFormat.Text; return true;
            case "hex": format = MessageFormat.Hex; return true;
            case "base64": format = MessageFormat.Base64; return true;
            default: format = MessageFormat.Text; return false;
        }
    }

    /// <summary>A frame from its text form; throws <see cref="FormatException"/> naming the problem.</summary>
    public static byte[] Decode(ReadOnlySpan<byte> utf8, MessageFormat format)
    {
        switch (format)
        {
            case MessageFormat.Text:
                return utf8.ToArray(); // the bytes as given: stdin is not decoded, so nothing is replaced
            case MessageFormat.Hex:
                try
                {
                    return Convert.FromHexString(Encoding.ASCII.GetString(utf8));
                }
                catch (FormatException)
                {
                    throw new FormatException($"'{Shorten(utf8)}' is not hex (two digits 0-9a-f per byte)");
                }
            default:
                try
                {
                    return Convert.FromBase64String(Encoding.ASCII.GetString(utf8));
                }
                catch (FormatException)
                {
                    throw new FormatException($"'{Shorten(utf8)}' is not base64");
                }
        }
    }

    /// <summary>A frame in <paramref name="format"/>, as JSON carries it (text: UTF-8 with U+FFFD for invalid bytes, no escapes).</summary>
    public static string Encode(ReadOnlySpan<byte> frame, MessageFormat format) => format switch
    {
        MessageFormat.Text => Encoding.UTF8.GetString(frame),
        MessageFormat.Hex => Convert.ToHexStringLower(frame),
        _ => Convert.ToBase64String(frame),
    };

    /// <summary>A message as one line: its frames in <paramref name="format"/>, tab-separated (text escaped as the class says).</summary>
    public static string Line(Message message, MessageFormat format)
    {
        var line = new StringBuilder();
        for (var i = 0; i < message.Count; i++)
        {
            if (i > 0)
                line.Append('\t');
            var frame = Encode(message[i].Span, format);
            if (format == MessageFormat.Text)
                AppendEscaped(line, frame, escapeTabs: message.Count > 1);
            else
                line.Append(frame);
        }
        return line.ToString();
    }

    /// <summary>A message as one JSON object: <c>{"frames":[...],"bytes":N}</c>, N the sum of the frames' lengths.</summary>
    public static string Json(Message message, MessageFormat format, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteStartArray("frames");
            for (var i = 0; i < message.Count; i++)
            {
                json.WriteStringValue(Encode(message[i].Span, format));
            }
            json.WriteEndArray();
            json.WriteNumber("bytes", message.ByteCount);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>One line of input as a message's frames: the whole line one frame, or with <paramref name="multipart"/> one frame per tab-separated field.</summary>
    public static byte[][] ParseFrames(ReadOnlySpan<byte> line, MessageFormat format, bool multipart)
    {
        if (!multipart)
            return [Decode(line, format)];
        var frames = new List<byte[]>();
        while (true)
        {
            var tab = line.IndexOf((byte)'\t');
            frames.Add(Decode(tab < 0 ? line : line[..tab], format));
            if (tab < 0)
                return [.. frames];
            line = line[(tab + 1)..];
        }
    }

    private static void AppendEscaped(StringBuilder line, string frame, bool escapeTabs)
    {
        foreach (var c in frame)
        {
            switch (c)
            {
                case '\n': line.Append("\\n"); break;
                case '\r': line.Append("\\r"); break;
                case '\t' when escapeTabs: line.Append("\\t"); break;
                default: line.Append(c); break;
            }
        }
    }

    private static string Shorten(ReadOnlySpan<byte> utf8)
    {
        var text = Encoding.UTF8.GetString(utf8);
        return text.Length <= 40 ? text : text[..40] + "...";
    }
}
