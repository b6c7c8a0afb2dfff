package dev.assistant.core.engine;

import dev.assistant.core.model.ModelConfig;

import java.util.List;

/**
 * A loaded causal language model: weights in (native) memory, ready to run sequences. Thread-safe: many sequences
 * may run at once, each from one thread at a time.
 */
public interface CausalLanguageModel extends AutoCloseable {

    ModelConfig config();

    /** The longest sequence (prompt plus generated tokens) the model accepts. */
    int contextLength();

    /**
     * Starts a sequence with room for {@code capacity} tokens. Its KV cache ({@link #kvCacheBytes(int)} bytes) is
     * allocated here and freed by {@link Sequence#close()}.
     */
    Sequence newSequence(int capacity);

    /**
     * Evaluates several sequences in one forward pass: appends {@code inputs.get(i)} to {@code sequences.get(i)} and
     * returns the logits of the last token of each ({@code [sequences.size()][vocab]}). Implementations run every
     * weight-bound layer once for all rows, which is what makes concurrent decoding cheaper than sequential.
     *
     * <p>Atomic: when it throws, every sequence keeps the length it had (no partial step is visible), so the
     * caller may retry with fewer sequences. The default evaluates the sequences one after another and rolls back
     * with {@link Sequence#truncate(int)} on failure.
     *
     * @throws IllegalArgumentException if the lists differ in size, a sequence appears twice or belongs to another
     *                                  model, or an input does not fit its sequence
     */
    default float[][] forwardBatch(List<? extends Sequence> sequences, List<int[]> inputs) {
        if (sequences.size() != inputs.size()) {
            throw new IllegalArgumentException(sequences.size() + " sequences but " + inputs.size() + " inputs");
        }
        int[] lengths = new int[sequences.size()];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = sequences.get(i).length();
        }
        float[][] out = new float[sequences.size()][];
        try {
            for (int i = 0; i < out.length; i++) {
                out[i] = sequences.get(i).forward(inputs.get(i));
            }
        } catch (RuntimeException | Error e) {
            for (int i = 0; i < lengths.length; i++) {
                sequences.get(i).truncate(lengths[i]);
            }
            throw e;
        }
        return out;
    }

    /**
     * {@link #forwardBatch}, with the logits of sequence {@code i}'s last token written into {@code logits[i]}
     * instead of new arrays, so that a caller running step after step keeps its arrays: otherwise every step is
     * {@code sequences x vocab} floats of new, zeroed memory (1.5 MB for 8 sequences over a 49,152-token
     * vocabulary), which the JVM clears and the kernel may have to map afresh. Arrays of {@code logits} past the
     * sequences are left as they are. The default copies from {@link #forwardBatch}.
     *
     * @throws IllegalArgumentException as {@link #forwardBatch}, or if {@code logits} has fewer arrays than there
     *                                  are sequences or one of them is not {@code config().vocabSize()} long (then
     *                                  before anything is evaluated)
     */
    default void forwardBatchInto(List<? extends Sequence> sequences, List<int[]> inputs, float[][] logits) {
        BatchArguments.checkLogitsArrays(logits, sequences.size(), config().vocabSize());
        float[][] out = forwardBatch(sequences, inputs);
        for (int i = 0; i < out.length; i++) {
            if (out[i].length != logits[i].length) {
                throw new IllegalStateException("the model returned " + out[i].length + " logits for a vocabulary of "
                        + logits[i].length);
            }
            System.arraycopy(out[i], 0, logits[i], 0, out[i].length);
        }
    }

    /**
     * Bytes of KV cache a sequence of {@code capacity} tokens holds: {@code capacity} x
     * {@link KvCacheType#bytesPerToken} of {@link #kvCacheType()} (float32: 2 x layers x kvHeads x headDim x 4 per
     * token). The memory budget and the prefix cache count sequences by it.
     */
    default long kvCacheBytes(int capacity) {
        return capacity * kvCacheType().bytesPerToken(config());
    }

    /** How this model's sequences store keys and values (default float32). */
    default KvCacheType kvCacheType() {
        return KvCacheType.F32;
    }

    /**
     * An upper estimate of the temporary memory one forward pass over {@code rows} rows needs when its longest
     * sequence reaches {@code longestSequence} tokens: the per-row activations of one layer (they are freed layer
     * by layer only when the pass ends, so all layers count) plus the attention scores and the logits.
     */
    default long activationBytes(int rows, int longestSequence) {
        ModelConfig c = config();
        long perRowPerLayer = 4L * c.hiddenSize() + (long) (c.numHeads() + 2 * c.numKvHeads()) * c.headDim()
                + 3L * c.intermediateSize();
        long scores = (long) c.numHeads() * rows * longestSequence;
        return Float.BYTES * ((long) rows * perRowPerLayer * c.numLayers() + 2 * scores + (long) rows * c.vocabSize());
    }

    /** Bytes of weight memory the model holds (resident once touched). */
    long weightBytes();

    /** Element type the weights are computed in, e.g. {@code f32} or {@code int8}. */
    String computeType();

    /** Returns the model's memory. Sequences still open become unusable. */
    @Override
    void close();
}
