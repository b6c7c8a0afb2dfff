package dev.assistant.core.generation;

/**
 * The outcome of one generation.
 *
 * @param outputIds the generated tokens (without a final EOS token)
 * @param text      the generated text, cut before any stop string
 * @param usage     token counts, timings and the finish reason
 * @param scores    per generated token, when the request asked for log-probabilities; otherwise empty
 */
public record GenerationResult(int[] outputIds, String text, Usage usage, java.util.List<TokenScores> scores) {
    public GenerationResult {
        outputIds = outputIds.clone();
        scores = java.util.List.copyOf(scores);
    }

    public GenerationResult(int[] outputIds, String text, Usage usage) {
        this(outputIds, text, usage, java.util.List.of());
    }

    @Override
    public int[] outputIds() {
        return outputIds.clone();
    }

    public FinishReason finishReason() {
        return usage.finishReason();
    }
}
