package dev.assistant.core.generation;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The per-request half of decoding, independent of how the model is driven (alone or in a batch): validates the
 * request, turns each step's logits into a token (sampling), streams text, applies stops, and builds the result.
 * Not thread-safe: one request, one thread at a time.
 */
final class Decoding {
    private final GenerationRequest request;
    private final Generator.TextStream stream;
    private final Generator.Listener listener;
    private final Sampler sampler;
    private final StopStrings stops;
    private final int capacity;
    private final int[] history;
    private final int[] output;
    private final TokenConstraint constraint;
    private long[] allowed;
    /** How often each token was generated, and the distinct ones in order (for the presence/frequency penalties). */
    private final java.util.Map<Integer, Integer> generatedCounts;
    private final java.util.List<TokenScores> scores = new java.util.ArrayList<>();
    private int historyLength;
    private int produced;
    private long startNanos = -1;
    private long firstTokenNanos = -1;
    private FinishReason reason;

    Decoding(GenerationRequest request, int contextLength, Generator.TextStream stream, Generator.Listener listener,
             RandomGenerator random) {
        this.request = request;
        this.stream = stream;
        this.listener = listener;
        int[] prompt = request.promptIds();
        this.capacity = capacity(request, contextLength);
        this.sampler = new Sampler(request.sampling(), random, request.textVocab());
        this.constraint = request.constraint() == null ? null : request.constraint().create();
        // Stop strings could cut a structured document: the grammar ends it instead.
        this.stops = new StopStrings(request.ignoreStops() || constraint != null ? List.of() : request.stopStrings());
        SamplingParams p = request.sampling();
        this.generatedCounts = p.presencePenalty() != 0 || p.frequencyPenalty() != 0
                ? new java.util.LinkedHashMap<>() : null;
        this.history = Arrays.copyOf(prompt, capacity + 1);
        this.historyLength = prompt.length;
        this.output = new int[request.maxNewTokens()];
    }

    /**
     * Checks what can be checked before any model work.
     *
     * @throws AssistantException {@code CONTEXT_OVERFLOW} when the prompt leaves no room in the context,
     *                            {@code INVALID_REQUEST} for an empty prompt, ids outside the vocabulary or no new tokens
     */
    static void validate(GenerationRequest request, int contextLength, int vocab) {
        int[] prompt = request.promptIds();
        if (prompt.length == 0) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "the prompt is empty: there is nothing to continue");
        }
        if (prompt.length >= contextLength) {
            throw new AssistantException(ErrorCode.CONTEXT_OVERFLOW, "the prompt has " + prompt.length
                    + " tokens but the model's context holds " + contextLength + " (including at least one new token); "
                    + "shorten the prompt");
        }
        for (int id : prompt) {
            if (id < 0 || id >= vocab) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "token id " + id + " is outside the vocabulary [0, "
                        + vocab + ")");
            }
        }
        int limit = Math.min(vocab, request.textVocab());
        for (int id : request.sampling().logitBias().keySet()) {
            if (id >= limit) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "logit_bias names token id " + id
                        + ", outside the vocabulary [0, " + limit + ")");
            }
        }
        if (request.maxNewTokens() < 1) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "max new tokens must be at least 1, was "
                    + request.maxNewTokens());
        }
    }

    /** Tokens the request's sequence must hold: the prompt and every new token, at most the context. */
    static int capacity(GenerationRequest request, int contextLength) {
        return (int) Math.min(contextLength, (long) request.promptIds().length + request.maxNewTokens());
    }

    int capacity() {
        return capacity;
    }

    int[] prompt() {
        return request.promptIds();
    }

    /** Marks the start of evaluation (the origin of the usage timings). */
    void started(long nanos) {
        startNanos = nanos;
    }

    boolean finished() {
        return reason != null;
    }

    /** The token to evaluate next, valid after {@link #accept} returned false. */
    int lastToken() {
        return output[produced - 1];
    }

    /**
     * Takes the logits of the newest position, chooses a token, streams it and checks the stops.
     *
     * @param sequenceLength tokens evaluated so far (the logits are of the last of them)
     * @return whether generation is finished ({@link #lastToken()} must then not be evaluated)
     */
    boolean accept(float[] logits, int sequenceLength, long nowNanos) {
        float[] adjusted = adjusted(logits, sequenceLength);
        int token = sampler.next(adjusted, history, historyLength);
        if (firstTokenNanos < 0) {
            firstTokenNanos = nowNanos;
        }
        if (request.logprobs() >= 0) {
            scores.add(TokenScores.of(adjusted, token, request.logprobs()));
        }
        if (!request.ignoreStops() && request.eosIds().contains(token)) {
            return finish(FinishReason.EOS);
        }
        if (constraint != null) {
            constraint.accept(token);
        }
        if (generatedCounts != null) {
            generatedCounts.merge(token, 1, Integer::sum);
        }
        output[produced++] = token;
        history[historyLength++] = token;
        listener.onToken(token);
        String delta = stops.append(stream.push(token));
        if (!delta.isEmpty()) {
            listener.onText(delta);
        }
        if (stops.stopped()) {
            return finish(FinishReason.STOP_STRING);
        }
        if (constraint != null && constraint.complete()) {
            return finish(FinishReason.EOS); // the document is closed: nothing may follow
        }
        if (produced == request.maxNewTokens()) {
            return finish(FinishReason.LENGTH);
        }
        if (sequenceLength == capacity) {
            return finish(FinishReason.CONTEXT_LENGTH);
        }
        return false;
    }

    /**
     * The logits sampling sees: the model's, cut to the text vocabulary, plus the logit bias, minus the presence and
     * frequency penalties, with tokens the response format forbids at negative infinity. The model's array is
     * copied only when something changes it.
     */
    private float[] adjusted(float[] logits, int sequenceLength) {
        SamplingParams p = request.sampling();
        boolean changes = constraint != null || generatedCounts != null || !p.logitBias().isEmpty();
        if (!changes) {
            return logits;
        }
        float[] out = Arrays.copyOf(logits, Math.min(logits.length, request.textVocab()));
        p.logitBias().forEach((id, bias) -> {
            if (id < out.length) {
                out[id] += bias.floatValue();
            }
        });
        if (generatedCounts != null) {
            generatedCounts.forEach((id, count) -> {
                if (id < out.length) {
                    out[id] -= (float) (p.presencePenalty() + p.frequencyPenalty() * count);
                }
            });
        }
        if (constraint != null) {
            mask(out, sequenceLength);
        }
        return out;
    }

    private void mask(float[] scores, int sequenceLength) {
        if (allowed == null || allowed.length != (scores.length + 63) / 64) {
            allowed = new long[(scores.length + 63) / 64];
        }
        Arrays.fill(allowed, 0);
        // Tokens this generation may still produce, this one included: the new-token limit, and the context (the
        // last token need not be evaluated).
        int remaining = Math.min(request.maxNewTokens() - produced, capacity - sequenceLength + 1);
        constraint.allowedTokens(allowed, Math.max(1, remaining));
        if (constraint.accepting() && !request.ignoreStops()) {
            for (int eos : request.eosIds()) {
                if (eos < allowed.length * 64) {
                    allowed[eos >>> 6] |= 1L << eos;
                }
            }
        }
        boolean any = false;
        for (int id = 0; id < scores.length; id++) {
            if ((allowed[id >>> 6] & (1L << id)) == 0) {
                scores[id] = Float.NEGATIVE_INFINITY;
            } else {
                any |= true;
            }
        }
        if (!any) {
            throw new IllegalStateException("the response format allows no token at this point");
        }
    }

    /** Ends generation with {@code why} (the first reason wins). */
    boolean finish(FinishReason why) {
        if (reason == null) {
            reason = why;
        }
        return true;
    }

    /** Tokens produced so far. */
    int produced() {
        return produced;
    }

    /** Flushes held-back text and builds the result; call once, after {@link #finish}. */
    GenerationResult result(long endNanos) {
        if (reason != FinishReason.STOP_STRING) {
            String rest = stops.append(stream.flush()) + stops.flush();
            if (!rest.isEmpty()) {
                listener.onText(rest);
            }
        }
        long start = startNanos < 0 ? endNanos : startNanos;
        Usage usage = new Usage(request.promptIds().length, produced, (firstTokenNanos < 0 ? endNanos : firstTokenNanos)
                - start, endNanos - start, reason);
        return new GenerationResult(Arrays.copyOf(output, produced), stops.textSoFar(), usage, scores);
    }
}
