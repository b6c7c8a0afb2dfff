package dev.assistant.core.generation;

/**
 * The outcome of one generation.
 *
 * @param outputIds the generated tokens (without a final EOS token)
 * @param text      the generated text, cut before any stop string
 * @param usage     token counts, timings and the finish reason
 */
public record GenerationResult(int[] outputIds, String text, Usage usage) {
    public GenerationResult {
        outputIds = outputIds.clone();
    }

    @Override
    public int[] outputIds() {
        return outputIds.clone();
    }

    public FinishReason finishReason() {
        return usage.finishReason();
    }
}
