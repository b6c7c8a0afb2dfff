package dev.assistant.core.structured;

/** A compiled schema: how a value of it starts, and the length of its shortest value. */
abstract class Node {
    /** A length no value reaches: the schema has no finite value (e.g. a required recursion). */
    static final long INFINITE = Long.MAX_VALUE / 4;

    private long minBytes = INFINITE;

    /**
     * Adds the configurations reached when a value of this schema starts with byte {@code b}; {@code rest} is the
     * continuation once the value is complete. A schema without a finite value starts nothing, so generation
     * never enters a dead end.
     */
    final void start(int b, Stack rest, Configurations out) {
        if (minBytes < INFINITE) {
            begin(b, rest, out);
        }
    }

    abstract void begin(int b, Stack rest, Configurations out);

    /** The length in bytes of the shortest value. */
    final long minBytes() {
        return minBytes;
    }

    /**
     * Recomputes {@link #minBytes()} from the children's current values (a fixpoint over recursive schemas).
     *
     * @return whether it changed
     */
    final boolean updateMinBytes() {
        long m = Math.min(INFINITE, computeMinBytes());
        if (m != minBytes) {
            minBytes = m;
            return true;
        }
        return false;
    }

    abstract long computeMinBytes();

    /** Called once minimal lengths are final, to precompute what depends on them. */
    void seal() {
    }

    static long add(long a, long b) {
        return Math.min(INFINITE, a + b);
    }
}
