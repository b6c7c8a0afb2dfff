package dev.assistant.core;

import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.Usage;
import dev.assistant.core.tools.ToolCall;

import java.util.List;

/**
 * The answer to a chat or generate request.
 *
 * @param requestId  the id the assistant gave the request (also in logs and metrics)
 * @param model      the model that answered
 * @param inputIds   the tokens that were evaluated as the prompt
 * @param outputIds  the generated tokens
 * @param text       the generated text, cut before any stop string
 * @param usage      token counts, timings and the finish reason ({@code TOOL_CALLS} when the model called tools)
 * @param toolCalls  the tool calls of the answer, in order (empty unless the request had tools); {@code text} is
 *                   then the text outside the calls
 */
public record Completion(String requestId, String model, int[] inputIds, int[] outputIds, String text, Usage usage,
                         List<ToolCall> toolCalls) {
    public Completion {
        inputIds = inputIds.clone();
        outputIds = outputIds.clone();
        toolCalls = List.copyOf(toolCalls);
    }

    /** An answer without tool calls. */
    public Completion(String requestId, String model, int[] inputIds, int[] outputIds, String text, Usage usage) {
        this(requestId, model, inputIds, outputIds, text, usage, List.of());
    }

    /** Whether the model called tools. */
    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
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
        return "Completion[" + requestId + ", model=" + model + ", text=" + text + ", usage=" + usage
                + (toolCalls.isEmpty() ? "" : ", toolCalls=" + toolCalls.size()) + "]";
    }
}
