package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.structured.ResponseFormat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The generation settings shared by chat and plain-text requests. Immutable.
 *
 * @param maxNewTokens   the most tokens to generate (default 256), per choice
 * @param sampling       how tokens are chosen (default greedy)
 * @param stopStrings    text that ends generation, excluded from the answer (not applied to JSON formats)
 * @param ignoreStops    generate exactly {@code maxNewTokens}, ignoring end-of-sequence tokens and stop strings
 * @param timeout        the longest the request may take, queueing included; {@code null} uses the assistant's default
 * @param responseFormat the shape of the answer (default {@link ResponseFormat#text()})
 * @param logprobs       whether the completion carries the log-probability of each generated token
 * @param topLogprobs    with {@code logprobs}, how many of the most likely alternatives to report per token (0-20)
 * @param n              how many independent answers (choices) to generate from the one prompt (1-16)
 */
public record GenerationOptions(int maxNewTokens, SamplingParams sampling, List<String> stopStrings,
                                boolean ignoreStops, Duration timeout, ResponseFormat responseFormat,
                                boolean logprobs, int topLogprobs, int n) {
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;
    /** The most alternatives {@link #topLogprobs()} may ask for (OpenAI's limit). */
    public static final int MAX_TOP_LOGPROBS = 20;
    /** The most choices one request may ask for. */
    public static final int MAX_CHOICES = 16;
    public static final GenerationOptions DEFAULTS = new GenerationOptions(DEFAULT_MAX_NEW_TOKENS, SamplingParams.GREEDY,
            List.of(), false, null);

    public GenerationOptions {
        if (maxNewTokens < 1) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "max new tokens must be at least 1, was " + maxNewTokens);
        }
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(responseFormat, "responseFormat");
        stopStrings = List.copyOf(stopStrings);
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "stop strings must not be empty");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "timeout must be positive, was " + timeout);
        }
        if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "top logprobs must be between 0 and "
                    + MAX_TOP_LOGPROBS + ", was " + topLogprobs);
        }
        if (topLogprobs > 0 && !logprobs) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "top logprobs need logprobs to be enabled");
        }
        if (n < 1 || n > MAX_CHOICES) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "n (the number of choices) must be between 1 and "
                    + MAX_CHOICES + ", was " + n);
        }
    }

    /** Options without a response format, log-probabilities or extra choices. */
    public GenerationOptions(int maxNewTokens, SamplingParams sampling, List<String> stopStrings, boolean ignoreStops,
                             Duration timeout) {
        this(maxNewTokens, sampling, stopStrings, ignoreStops, timeout, ResponseFormat.text(), false, 0, 1);
    }

    /** Fluent construction shared by the request builders. */
    static final class Builder {
        int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        SamplingParams sampling = SamplingParams.GREEDY;
        final List<String> stopStrings = new ArrayList<>();
        boolean ignoreStops;
        Duration timeout;
        ResponseFormat responseFormat = ResponseFormat.text();
        boolean logprobs;
        int topLogprobs;
        int n = 1;

        GenerationOptions build() {
            return new GenerationOptions(maxNewTokens, sampling, stopStrings, ignoreStops, timeout, responseFormat,
                    logprobs, topLogprobs, n);
        }
    }
}
