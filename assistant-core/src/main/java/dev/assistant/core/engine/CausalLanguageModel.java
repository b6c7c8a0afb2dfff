package dev.assistant.core.engine;

import dev.assistant.core.model.ModelConfig;

/**
 * A loaded causal language model: weights in (native) memory, ready to run sequences. Thread-safe: many sequences
 * may run at once, each from one thread at a time.
 */
public interface CausalLanguageModel extends AutoCloseable {

    ModelConfig config();

    /** The longest sequence (prompt plus generated tokens) the model accepts. */
    int contextLength();

    /**
     * Starts a sequence with room for {@code capacity} tokens. Its KV cache is allocated here and freed by
     * {@link Sequence#close()}.
     */
    Sequence newSequence(int capacity);

    /** Bytes of weight memory the model holds (resident once touched). */
    long weightBytes();

    /** Element type the weights are computed in, e.g. {@code f32} or {@code int8}. */
    String computeType();

    /** Returns the model's memory. Sequences still open become unusable. */
    @Override
    void close();
}
