namespace Expair.Internal;

/// <summary>
/// The smallest lock: one compare-and-swap to enter, a plain store to leave, for holders that run a few
/// instructions and rarely meet. Each side of a pipe has one on a word only that side touches, taken by every
/// operation of that side; the other side's is taken only by the rare operations that touch both (growing the
/// ring, putting frames back, discarding), always writer's before reader's. Each bucket of a buffer pool has one.
/// </summary>
internal static class SpinGate
{
    public static void Enter(ref int word)
    {
        if (Interlocked.CompareExchange(ref word, 1, 0) != 0)
            EnterContended(ref word);
    }

    public static void Exit(ref int word) => Volatile.Write(ref word, 0);

    /// <summary>Enters the gate and holds it until the result is disposed: <c>using (SpinGate.Hold(ref word)) { … }</c>.</summary>
    public static Held Hold(ref int word)
    {
        Enter(ref word);
        return new Held(ref word);
    }

    /// <summary>A held gate; disposing it exits.</summary>
    public readonly ref struct Held
    {
        private readonly ref int _word;

        public Held(ref int word) => _word = ref word;

        public void Dispose() => Exit(ref _word);
    }

    /// <summary>Another thread of the same side holds it (two senders at once): spin, then yield, then sleep.</summary>
    private static void EnterContended(ref int word)
    {
        var spinner = default(SpinWait);
        do
            spinner.SpinOnce();
        while (Volatile.Read(ref word) != 0 || Interlocked.CompareExchange(ref word, 1, 0) != 0);
    }
}
