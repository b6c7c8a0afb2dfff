package dev.assistant.core;

import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.Usage;

/**
 * The answer to a chat or generate request.
 *
 * @param requestId  the id the assistant gave the request (also in logs and metrics)
 * @param model      the model that answered
 * @param inputIds   the tokens that were evaluated as the prompt
 * @param outputIds  the generated tokens
 * @param text       the generated text, cut before any stop string
 * @param usage      token counts, timings and the finish reason
 */
public record Completion(String requestId, String model, int[] inputIds, int[] outputIds, String text, Usage usage) {
    public Completion {
        inputIds = inputIds.clone();
        outputIds = outputIds.clone();
    }

    @Override
    public int[] inputIds() {
        return inputIds.clone();
    }

    @Override
    public int[] outputIds() {
        return outputIds.clone();
    }

    public FinishReason finishReason() {
        return usage.finishReason();
    }

    @Override
    public String toString() {
        return "Completion[" + requestId + ", model=" + model + ", text=" + text + ", usage=" + usage + "]";
    }
}
