package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.generation.SamplingParams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The generation settings shared by chat and plain-text requests. Immutable.
 *
 * @param maxNewTokens the most tokens to generate (default 256)
 * @param sampling     how tokens are chosen (default greedy)
 * @param stopStrings  text that ends generation, excluded from the answer
 * @param ignoreStops  generate exactly {@code maxNewTokens}, ignoring end-of-sequence tokens and stop strings
 * @param timeout      the longest the request may take, queueing included; {@code null} uses the assistant's default
 */
public record GenerationOptions(int maxNewTokens, SamplingParams sampling, List<String> stopStrings,
                                boolean ignoreStops, Duration timeout) {
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;
    public static final GenerationOptions DEFAULTS = new GenerationOptions(DEFAULT_MAX_NEW_TOKENS, SamplingParams.GREEDY,
            List.of(), false, null);

    public GenerationOptions {
        if (maxNewTokens < 1) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "max new tokens must be at least 1, was " + maxNewTokens);
        }
        Objects.requireNonNull(sampling, "sampling");
        stopStrings = List.copyOf(stopStrings);
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "stop strings must not be empty");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "timeout must be positive, was " + timeout);
        }
    }

    /** Fluent construction shared by the request builders. */
    static final class Builder {
        int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        SamplingParams sampling = SamplingParams.GREEDY;
        final List<String> stopStrings = new ArrayList<>();
        boolean ignoreStops;
        Duration timeout;

        GenerationOptions build() {
            return new GenerationOptions(maxNewTokens, sampling, stopStrings, ignoreStops, timeout);
        }
    }
}
