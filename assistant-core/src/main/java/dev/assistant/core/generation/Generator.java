package dev.assistant.core.generation;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The decoding loop: evaluates the prompt once, then one token per step against the KV cache, sampling, streaming
 * text and checking stops. One instance per request; not thread-safe.
 */
public final class Generator {

    /** Turns tokens into text incrementally (see the tokenizer's streaming decoder). */
    public interface TextStream {
        /** Text completed by {@code id} (may be empty while a character is incomplete). */
        String push(int id);

        /** Text still held back at the end. */
        String flush();
    }

    /** Receives tokens and text as they are produced. Must not block for long: it runs on the decoding thread. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** A token was generated (before its text, which may come later). */
        default void onToken(int id) {
        }

        /** More text is final and can be shown. */
        default void onText(String delta) {
        }
    }

    private final CausalLanguageModel model;
    private final LongSupplier nanoClock;

    public Generator(CausalLanguageModel model, LongSupplier nanoClock) {
        this.model = model;
        this.nanoClock = nanoClock;
    }

    /**
     * Runs {@code request}.
     *
     * @param cancelled checked before each step; when true the generation ends with {@link FinishReason#CANCELLED}
     * @throws AssistantException {@code CONTEXT_OVERFLOW} when the prompt leaves no room in the context,
     *                            {@code INVALID_REQUEST} for an empty prompt or ids outside the vocabulary
     */
    public GenerationResult run(GenerationRequest request, TextStream stream, Listener listener, RandomGenerator random,
                                BooleanSupplier cancelled) {
        int[] prompt = request.promptIds();
        int context = model.contextLength();
        int vocab = model.config().vocabSize();
        if (prompt.length == 0) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "the prompt is empty: there is nothing to continue");
        }
        if (prompt.length >= context) {
            throw new AssistantException(ErrorCode.CONTEXT_OVERFLOW, "the prompt has " + prompt.length
                    + " tokens but the model's context holds " + context + " (including at least one new token); "
                    + "shorten the prompt");
        }
        for (int id : prompt) {
            if (id < 0 || id >= vocab) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "token id " + id + " is outside the vocabulary [0, "
                        + vocab + ")");
            }
        }
        if (request.maxNewTokens() < 1) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "max new tokens must be at least 1, was "
                    + request.maxNewTokens());
        }
        int capacity = (int) Math.min(context, (long) prompt.length + request.maxNewTokens());
        Sampler sampler = new Sampler(request.sampling(), random);
        StopStrings stops = new StopStrings(request.ignoreStops() ? java.util.List.of() : request.stopStrings());
        int[] history = Arrays.copyOf(prompt, capacity + 1);
        int historyLength = prompt.length;
        int[] output = new int[request.maxNewTokens()];
        int produced = 0;
        long start = nanoClock.getAsLong();
        long firstToken = -1;
        FinishReason reason;

        try (Sequence sequence = model.newSequence(capacity)) {
            float[] logits = sequence.forward(prompt);
            while (true) {
                if (cancelled.getAsBoolean()) {
                    reason = FinishReason.CANCELLED;
                    break;
                }
                int token = sampler.next(logits, history, historyLength);
                if (firstToken < 0) {
                    firstToken = nanoClock.getAsLong();
                }
                if (!request.ignoreStops() && request.eosIds().contains(token)) {
                    reason = FinishReason.EOS;
                    break;
                }
                output[produced++] = token;
                history[historyLength++] = token;
                listener.onToken(token);
                String delta = stops.append(stream.push(token));
                if (!delta.isEmpty()) {
                    listener.onText(delta);
                }
                if (stops.stopped()) {
                    reason = FinishReason.STOP_STRING;
                    break;
                }
                if (produced == request.maxNewTokens()) {
                    reason = FinishReason.LENGTH;
                    break;
                }
                if (sequence.length() == capacity) {
                    reason = FinishReason.CONTEXT_LENGTH;
                    break;
                }
                logits = sequence.forward(new int[]{token});
            }
        }
        if (reason != FinishReason.STOP_STRING) {
            String rest = stops.append(stream.flush()) + stops.flush();
            if (!rest.isEmpty()) {
                listener.onText(rest);
            }
        }
        long end = nanoClock.getAsLong();
        Usage usage = new Usage(prompt.length, produced, (firstToken < 0 ? end : firstToken) - start, end - start, reason);
        return new GenerationResult(Arrays.copyOf(output, produced), stops.textSoFar(), usage);
    }
}
