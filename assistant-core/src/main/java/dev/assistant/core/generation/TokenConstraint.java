package dev.assistant.core.generation;

/**
 * Restricts which tokens may come next (a grammar, for structured output). One instance per generation, used by
 * one thread at a time: {@link #allowedTokens} before each sampled token, {@link #accept} after it.
 */
public interface TokenConstraint {

    /**
     * Sets, in {@code allowed} (a bit set over token ids, all clear on entry), the tokens that may come next.
     *
     * @param remaining how many tokens the generation may still produce, this one included: a constraint may use
     *                  it to keep room for closing what it opened
     */
    void allowedTokens(long[] allowed, int remaining);

    /** Records the token that was chosen (one {@link #allowedTokens allowed}). */
    void accept(int token);

    /** Whether the output may end here (end-of-sequence tokens are then allowed). */
    boolean accepting();

    /** Whether the output is complete and nothing may follow: generation ends without another token. */
    boolean complete();

    /** Creates the constraint of one generation. */
    @FunctionalInterface
    interface Factory {
        TokenConstraint create();
    }
}
