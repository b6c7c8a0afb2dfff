package dev.assistant.core.generation;

/**
 * What one request consumed and how fast it ran.
 *
 * @param promptTokens          tokens of the prompt
 * @param completionTokens      tokens generated
 * @param timeToFirstTokenNanos from the start of evaluation to the first generated token (prefill + first sample)
 * @param totalNanos            from the start of evaluation to the end of generation
 * @param finishReason          why generation ended
 * @param cachedPromptTokens    prompt tokens whose KV cache came from the prefix cache (not evaluated again)
 */
public record Usage(int promptTokens, int completionTokens, long timeToFirstTokenNanos, long totalNanos,
                    FinishReason finishReason, int cachedPromptTokens) {

    /** Usage of a request that found nothing in the prefix cache. */
    public Usage(int promptTokens, int completionTokens, long timeToFirstTokenNanos, long totalNanos,
                 FinishReason finishReason) {
        this(promptTokens, completionTokens, timeToFirstTokenNanos, totalNanos, finishReason, 0);
    }

    public int totalTokens() {
        return promptTokens + completionTokens;
    }

    /** Tokens per second after the first one (the decode rate), or 0 with fewer than two tokens. */
    public double decodeTokensPerSecond() {
        long decodeNanos = totalNanos - timeToFirstTokenNanos;
        if (completionTokens < 2 || decodeNanos <= 0) {
            return 0;
        }
        return (completionTokens - 1) * 1e9 / decodeNanos;
    }

    /** Mean time per output token after the first, in nanoseconds (0 with fewer than two tokens). */
    public long timePerOutputTokenNanos() {
        return completionTokens < 2 ? 0 : (totalNanos - timeToFirstTokenNanos) / (completionTokens - 1);
    }
}
