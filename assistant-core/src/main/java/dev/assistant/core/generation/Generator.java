package dev.assistant.core.generation;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The decoding loop for one request on the calling thread: evaluates the prompt once, then one token per step
 * against the KV cache, sampling, streaming text and checking stops. Concurrent requests are better served by
 * {@link BatchingEngine}, which decodes them together; both produce the same tokens. Not thread-safe.
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
     * @throws dev.assistant.api.AssistantException {@code CONTEXT_OVERFLOW} when the prompt leaves no room in the context,
     *                            {@code INVALID_REQUEST} for an empty prompt or ids outside the vocabulary
     */
    public GenerationResult run(GenerationRequest request, TextStream stream, Listener listener, RandomGenerator random,
                                BooleanSupplier cancelled) {
        Decoding decoding = start(request, stream, listener, random);
        try (Sequence sequence = model.newSequence(decoding.capacity())) {
            float[] logits = sequence.forward(decoding.prompt());
            while (true) {
                if (cancelled.getAsBoolean()) {
                    decoding.finish(FinishReason.CANCELLED);
                    break;
                }
                if (decoding.accept(logits, sequence.length(), nanoClock.getAsLong())) {
                    break;
                }
                logits = sequence.forward(new int[]{decoding.lastToken()});
            }
        }
        return decoding.result(nanoClock.getAsLong());
    }

    private Decoding start(GenerationRequest request, TextStream stream, Listener listener, RandomGenerator random) {
        Decoding.validate(request, model.contextLength(), model.config().vocabSize());
        Decoding decoding = new Decoding(request, model.contextLength(), stream, listener, random);
        decoding.started(nanoClock.getAsLong());
        return decoding;
    }
}
