using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Expair.Interop.Tests.Native;

/// <summary>
/// A libzmq socket for driving the real library from tests. Not thread-safe (neither is a libzmq socket):
/// use one instance from one thread at a time.
/// </summary>
/// <remarks>
/// Every wait is bounded. The methods without a timeout use <see cref="DefaultTimeoutMs"/> and throw
/// <see cref="TimeoutException"/>, so a broken peer fails a test instead of hanging the run. Waiting is
/// done with zmq_poll plus ZMQ_DONTWAIT calls rather than ZMQ_RCVTIMEO/ZMQ_SNDTIMEO, so the timeout
/// options stay free for tests that want to exercise them.
/// </remarks>
internal sealed unsafe class ZmqSocket : IDisposable
{
    public const int DefaultTimeoutMs = 10_000;

    private nint _handle;

    public ZmqSocket(int type, ZmqContext? context = null)
    {
        Context = context ?? ZmqContext.Shared;
        _handle = LibZmq.zmq_socket(Context.Handle, type);
        if (_handle == 0)
        {
            throw ZmqException.Last($"zmq_socket(type {type})");
        }

        Type = type;
    }

    public ZmqContext Context { get; }

    public int Type { get; }

    public bool IsClosed => _handle == 0;

    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle == 0, this);
            return _handle;
        }
    }

    public void SetOption(int option, int value) =>
        Check(LibZmq.zmq_setsockopt(Handle, option, &value, sizeof(int)), $"zmq_setsockopt({option}, {value})");

    public void SetOption(int option, ReadOnlySpan<byte> value)
    {
        fixed (byte* bytes = value)
        {
            Check(LibZmq.zmq_setsockopt(Handle, option, bytes, (nuint)value.Length), $"zmq_setsockopt({option})");
        }
    }

    public int GetOptionInt32(int option)
    {
        int value = 0;
        nuint length = sizeof(int);
        Check(LibZmq.zmq_getsockopt(Handle, option, &value, &length), $"zmq_getsockopt({option})");
        return value;
    }

    /// <summary>Reads a string option such as ZMQ_LAST_ENDPOINT (returned NUL-terminated by libzmq).</summary>
    public string GetOptionString(int option)
    {
        Span<byte> buffer = stackalloc byte[1024];
        nuint length = (nuint)buffer.Length;
        fixed (byte* bytes = buffer)
        {
            Check(LibZmq.zmq_getsockopt(Handle, option, bytes, &length), $"zmq_getsockopt({option})");
        }

        ReadOnlySpan<byte> text = buffer[..(int)length];
        int nul = text.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? text[..nul] : text);
    }

    /// <summary>
    /// Binds and returns ZMQ_LAST_ENDPOINT: the endpoint actually bound, e.g. the real port for
    /// <c>tcp://127.0.0.1:*</c>.
    /// </summary>
    public string Bind(string endpoint)
    {
        Check(LibZmq.zmq_bind(Handle, endpoint), $"zmq_bind({endpoint})");
        return GetOptionString(LibZmq.ZMQ_LAST_ENDPOINT);
    }

    public void Unbind(string endpoint) => Check(LibZmq.zmq_unbind(Handle, endpoint), $"zmq_unbind({endpoint})");

    /// <summary>Starts connecting; like libzmq itself it returns before the connection is made.</summary>
    public void Connect(string endpoint) => Check(LibZmq.zmq_connect(Handle, endpoint), $"zmq_connect({endpoint})");

    public void Disconnect(string endpoint) =>
        Check(LibZmq.zmq_disconnect(Handle, endpoint), $"zmq_disconnect({endpoint})");

    /// <summary>Sends one frame; throws <see cref="TimeoutException"/> if it cannot be queued in time.</summary>
    public void Send(ReadOnlySpan<byte> frame, bool more = false)
    {
        if (!TrySend(frame, more, DefaultTimeoutMs))
        {
            throw new TimeoutException($"libzmq could not queue a frame within {DefaultTimeoutMs} ms.");
        }
    }

    /// <summary>Sends one message made of these frames; throws <see cref="TimeoutException"/> if it cannot be queued in time.</summary>
    public void Send(params byte[][] frames)
    {
        if (!TrySend(frames, DefaultTimeoutMs))
        {
            throw new TimeoutException($"libzmq could not queue a message within {DefaultTimeoutMs} ms.");
        }
    }

    /// <summary>Sends one frame, waiting up to <paramref name="timeoutMs"/> (-1: forever) for room.</summary>
    public bool TrySend(ReadOnlySpan<byte> frame, bool more, int timeoutMs) =>
        TrySendFrame(frame, more, Deadline(timeoutMs));

    /// <summary>
    /// Sends one message, waiting up to <paramref name="timeoutMs"/> (-1: forever) for room. Returns false
    /// only if nothing was queued: once the first frame is in, libzmq takes the rest of the message.
    /// </summary>
    public bool TrySend(byte[][] frames, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfZero(frames.Length);

        long deadline = Deadline(timeoutMs);
        for (int i = 0; i < frames.Length; i++)
        {
            bool more = i < frames.Length - 1;
            if (!TrySendFrame(frames[i], more, deadline))
            {
                if (i == 0)
                {
                    return false;
                }

                // Cannot happen with libzmq's all-or-nothing multipart, but never report a half-sent message as unsent.
                throw new InvalidOperationException($"libzmq accepted {i} of {frames.Length} frames and then timed out.");
            }
        }

        return true;
    }

    /// <summary>Receives one whole message; throws <see cref="TimeoutException"/> if none arrives in time.</summary>
    public List<byte[]> Receive(int timeoutMs = DefaultTimeoutMs) =>
        TryReceive(out List<byte[]> frames, timeoutMs)
            ? frames
            : throw new TimeoutException($"No message from libzmq within {timeoutMs} ms.");

    /// <summary>
    /// Receives one whole message (all its frames), waiting up to <paramref name="timeoutMs"/> (-1: forever).
    /// On false, <paramref name="frames"/> is empty.
    /// </summary>
    public bool TryReceive(out List<byte[]> frames, int timeoutMs)
    {
        frames = [];
        long deadline = Deadline(timeoutMs);
        while (true)
        {
            LibZmq.ZmqMsg message;
            Check(LibZmq.zmq_msg_init(&message), "zmq_msg_init");
            try
            {
                if (LibZmq.zmq_msg_recv(&message, Handle, LibZmq.ZMQ_DONTWAIT) < 0)
                {
                    int errno = LibZmq.zmq_errno();
                    if (errno == LibZmq.EAGAIN)
                    {
                        if (!Wait(LibZmq.ZMQ_POLLIN, deadline))
                        {
                            if (frames.Count == 0)
                            {
                                return false;
                            }

                            // libzmq delivers the frames of a message together, so this would be a libzmq bug.
                            throw new InvalidOperationException($"libzmq delivered {frames.Count} frames of a message and then stalled.");
                        }

                        continue;
                    }

                    if (errno == LibZmq.EINTR)
                    {
                        continue;
                    }

                    throw new ZmqException("zmq_msg_recv", errno);
                }

                frames.Add(new ReadOnlySpan<byte>(LibZmq.zmq_msg_data(&message), checked((int)LibZmq.zmq_msg_size(&message))).ToArray());
                if (LibZmq.zmq_msg_more(&message) == 0)
                {
                    return true;
                }
            }
            finally
            {
                // Fails only for a message that was never initialised.
                _ = LibZmq.zmq_msg_close(&message);
            }
        }
    }

    /// <summary>
    /// Closes the socket. Frames still queued get <paramref name="lingerMs"/> to leave (-1: until sent);
    /// the default 0 drops them, so a test never leaves libzmq retrying in the background.
    /// </summary>
    public void Close(int lingerMs = 0)
    {
        if (_handle == 0)
        {
            return;
        }

        SetOption(LibZmq.ZMQ_LINGER, lingerMs);
        Check(LibZmq.zmq_close(_handle), "zmq_close");
        _handle = 0;
    }

    public void Dispose() => Close();

    private bool TrySendFrame(ReadOnlySpan<byte> frame, bool more, long deadline)
    {
        int flags = LibZmq.ZMQ_DONTWAIT | (more ? LibZmq.ZMQ_SNDMORE : 0);
        fixed (byte* bytes = frame)
        {
            while (LibZmq.zmq_send(Handle, bytes, (nuint)frame.Length, flags) < 0)
            {
                int errno = LibZmq.zmq_errno();
                if (errno == LibZmq.EAGAIN)
                {
                    if (!Wait(LibZmq.ZMQ_POLLOUT, deadline))
                    {
                        return false;
                    }
                }
                else if (errno != LibZmq.EINTR)
                {
                    throw new ZmqException("zmq_send", errno);
                }
            }
        }

        return true;
    }

    /// <summary>Waits for the socket to become readable/writable; false once the deadline passes.</summary>
    private bool Wait(short events, long deadline)
    {
        while (true)
        {
            long timeoutMs = -1;
            if (deadline >= 0)
            {
                // Round up: a 0 ms poll just before the deadline would spin.
                long remaining = deadline - Stopwatch.GetTimestamp();
                timeoutMs = remaining <= 0 ? 0 : ((remaining * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency;
            }

            var item = new LibZmq.ZmqPollItem { Socket = Handle, Events = events };
            int ready = LibZmq.zmq_poll(&item, 1, new CLong((nint)timeoutMs));
            if (ready > 0)
            {
                return true;
            }

            if (ready < 0)
            {
                int errno = LibZmq.zmq_errno();
                if (errno != LibZmq.EINTR)
                {
                    throw new ZmqException("zmq_poll", errno);
                }
            }
            else if (deadline >= 0 && Stopwatch.GetTimestamp() >= deadline)
            {
                return false;
            }
        }
    }

    /// <summary>A Stopwatch timestamp to give up at, or -1 for no limit.</summary>
    private static long Deadline(int timeoutMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMs, -1);
        return timeoutMs < 0 ? -1 : Stopwatch.GetTimestamp() + (timeoutMs * Stopwatch.Frequency / 1000);
    }

    private static void Check(int rc, string operation)
    {
        if (rc != 0)
        {
            throw ZmqException.Last(operation);
        }
    }
}
