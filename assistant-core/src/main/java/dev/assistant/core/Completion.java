package dev.assistant.core;

import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.Usage;
import dev.assistant.core.tools.ToolCall;

import java.util.List;

/**
 * The answer to a chat or generate request. With {@code n > 1} the request has several {@link #choices()}; the
 * top-level ids, text and log-probabilities are those of the first choice, and {@link #usage()} counts the prompt
 * once and the tokens of every choice.
 *
 * @param requestId the id the assistant gave the request (also in logs and metrics)
 * @param model     the model that answered
 * @param inputIds  the tokens that were evaluated as the prompt
 * @param outputIds the generated tokens (first choice)
 * @param text      the generated text, cut before any stop string (first choice); with tool calls, the text
 *                  outside the calls
 * @param usage     token counts, timings and the finish reason (of the first choice; {@code TOOL_CALLS} when the
 *                  model called tools)
 * @param logprobs  per generated token of the first choice, when asked for ({@code logprobs}); otherwise empty
 * @param choices   every answer, in order (one unless {@code n > 1} was asked for)
 * @param toolCalls the tool calls of the answer, in order (empty unless the request had tools)
 */
public record Completion(String requestId, String model, int[] inputIds, int[] outputIds, String text, Usage usage,
                         List<TokenLogprob> logprobs, List<Choice> choices, List<ToolCall> toolCalls) {
    public Completion {
        inputIds = inputIds.clone();
        outputIds = outputIds.clone();
        logprobs = List.copyOf(logprobs);
        choices = List.copyOf(choices);
        toolCalls = List.copyOf(toolCalls);
    }

    /** A completion without tool calls. */
    public Completion(String requestId, String model, int[] inputIds, int[] outputIds, String text, Usage usage,
                      List<TokenLogprob> logprobs, List<Choice> choices) {
        this(requestId, model, inputIds, outputIds, text, usage, logprobs, choices, List.of());
    }

    /** A completion with one choice and no log-probabilities. */
    public Completion(String requestId, String model, int[] inputIds, int[] outputIds, String text, Usage usage) {
        this(requestId, model, inputIds, outputIds, text, usage, List.of(),
                List.of(new Choice(0, outputIds, text, usage.finishReason(), List.of())));
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
                + (choices.size() > 1 ? ", choices=" + choices.size() : "")
                + (toolCalls.isEmpty() ? "" : ", toolCalls=" + toolCalls.size()) + "]";
    }

    /**
     * One answer of a request.
     *
     * @param index        its position among the choices
     * @param outputIds    its generated tokens
     * @param text         its text
     * @param finishReason why it ended
     * @param logprobs     per generated token, when asked for; otherwise empty
     */
    public record Choice(int index, int[] outputIds, String text, FinishReason finishReason,
                         List<TokenLogprob> logprobs) {
        public Choice {
            outputIds = outputIds.clone();
            logprobs = List.copyOf(logprobs);
        }

        @Override
        public int[] outputIds() {
            return outputIds.clone();
        }
    }
}
