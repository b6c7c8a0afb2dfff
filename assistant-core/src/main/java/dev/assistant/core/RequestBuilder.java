package dev.assistant.core;

import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.structured.ResponseFormat;

import java.time.Duration;
import java.util.List;

/**
 * The generation settings every request builder shares (chat and plain text), set fluently.
 *
 * @param <B> the concrete builder, returned by each setter
 */
abstract class RequestBuilder<B extends RequestBuilder<B>> {
    final GenerationOptions.Builder options = new GenerationOptions.Builder();
    CallerKey callerKey;

    abstract B self();

    /** The most tokens to generate (default 256). */
    public B maxNewTokens(int n) {
        options.maxNewTokens = n;
        return self();
    }

    /** How tokens are chosen (default greedy). */
    public B sampling(SamplingParams sampling) {
        options.sampling = sampling;
        return self();
    }

    /** Text that ends generation; it is not part of the answer. */
    public B stop(String... stops) {
        options.stopStrings.addAll(List.of(stops));
        return self();
    }

    /** Generate exactly {@link #maxNewTokens} tokens, ignoring end-of-sequence tokens and stop strings. */
    public B ignoreStops(boolean ignore) {
        options.ignoreStops = ignore;
        return self();
    }

    /** The longest the request may take, queueing included (default: the assistant's). */
    public B timeout(Duration timeout) {
        options.timeout = timeout;
        return self();
    }

    /**
     * The shape of the answer (default free text). With a JSON format the answer is generated under a grammar and
     * always parses and validates; see {@link ResponseFormat} for the details.
     */
    public B responseFormat(ResponseFormat format) {
        options.responseFormat = java.util.Objects.requireNonNull(format, "format");
        return self();
    }

    /**
     * Report the log-probability of each generated token and of the {@code top} most likely alternatives at each
     * position (0-20), in {@link Completion#logprobs()}.
     */
    public B logprobs(int top) {
        options.logprobs = true;
        options.topLogprobs = top;
        return self();
    }

    /** Generate {@code n} independent answers from the one prompt (default 1); see {@link Completion#choices()}. */
    public B n(int n) {
        options.n = n;
        return self();
    }

    /** The caller's API key, when the assistant authenticates callers. */
    public B callerKey(CallerKey key) {
        this.callerKey = key;
        return self();
    }
}
