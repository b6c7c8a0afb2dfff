package dev.assistant.core.engine;

/**
 * One token sequence being evaluated with a KV cache: each call to {@link #forward} appends tokens and computes
 * only their positions, reusing the cached keys and values of the prefix. Used by one thread at a time.
 */
public interface Sequence extends AutoCloseable {

    /** Tokens evaluated so far. */
    int length();

    /** The most tokens this sequence can hold. */
    int capacity();

    /**
     * Appends {@code tokens} and returns the logits of the last one (length vocab).
     *
     * @throws IllegalArgumentException if the tokens do not fit in {@link #capacity()} or an id is outside the vocab
     */
    float[] forward(int[] tokens);

    /** Appends {@code tokens} and returns the logits of every one of them ([tokens.length][vocab]). */
    float[][] forwardAll(int[] tokens);

    /**
     * Forgets every token after the first {@code length}: the next forward call continues from there (the cached
     * keys and values beyond are overwritten).
     *
     * @throws IllegalArgumentException if {@code length} is negative or longer than {@link #length()}
     */
    void truncate(int length);

    /**
     * A new sequence of {@code capacity} tokens that starts as a copy of this one (its tokens and KV cache), so
     * several continuations of one prompt share a single prefill. Empty when the backend cannot copy a cache (the
     * caller then evaluates the prompt again); the default.
     *
     * @throws IllegalArgumentException if {@code capacity} is below {@link #length()}
     */
    default java.util.Optional<Sequence> fork(int capacity) {
        return java.util.Optional.empty();
    }

    /** Frees the KV cache. Idempotent. */
    @Override
    void close();
}
