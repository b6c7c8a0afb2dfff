package dev.assistant.core.engine.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelConfig;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What all DJL transformer models share: the weights' manager, sequences with their KV caches, and turning the
 * final hidden states into logits. Subclasses implement one architecture's layers.
 *
 * <p>Memory ownership: weights live in {@code weights} (capped after loading, so any intermediate result that
 * would wrongly attach to it fails fast instead of leaking); each sequence owns a manager with its KV cache; each
 * forward call runs in a sub-manager of the sequence that is closed when the call returns.
 */
abstract class DjlCausalModel implements CausalLanguageModel {
    protected final ModelConfig config;
    protected final NDManager weights;
    protected final Device device;
    private final int contextLength;
    private final String computeType;
    private final AtomicBoolean closed = new AtomicBoolean();
    protected long weightBytes;

    DjlCausalModel(ModelConfig config, NDManager weights, String computeType) {
        this.config = config;
        this.weights = weights;
        this.device = weights.getDevice();
        this.contextLength = config.maxPositionEmbeddings();
        this.computeType = computeType;
    }

    /** Runs the layers for {@code ids} at positions {@code [past, past + n)}; returns final-normed hidden [n, hidden]. */
    protected abstract NDArray hidden(NDManager scope, KvCache cache, int past, long[] ids);

    /** Logits [n, vocab] of hidden states [n, hidden]. */
    protected abstract NDArray logits(NDArray hidden);

    protected int kvHeads() {
        return config.numKvHeads();
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public long weightBytes() {
        return weightBytes;
    }

    @Override
    public String computeType() {
        return computeType;
    }

    @Override
    public Sequence newSequence(int capacity) {
        if (closed.get()) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the model has been closed");
        }
        if (capacity < 1 || capacity > contextLength) {
            throw new AssistantException(ErrorCode.CONTEXT_OVERFLOW, "a sequence of " + capacity
                    + " tokens does not fit the model's context of " + contextLength + " tokens");
        }
        return new DjlSequence(capacity);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            weights.close();
        }
    }

    private final class DjlSequence implements Sequence {
        private final NDManager manager;
        private final KvCache cache;
        private final int capacity;
        private int length;
        private boolean open = true;

        DjlSequence(int capacity) {
            this.capacity = capacity;
            this.manager = NDManager.newBaseManager(device, "PyTorch");
            try {
                this.cache = new KvCache(manager, config.numLayers(), kvHeads(), capacity, config.headDim());
            } catch (RuntimeException e) {
                manager.close();
                throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "cannot allocate the KV cache for "
                        + capacity + " tokens: " + e.getMessage(), e);
            }
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public float[] forward(int[] tokens) {
            try (NDManager scope = manager.newSubManager()) {
                NDArray h = run(scope, tokens);
                NDArray last = tokens.length == 1 ? h : h.get(scope, new NDIndex("{}:", tokens.length - 1));
                return logits(last).toFloatArray();
            }
        }

        @Override
        public float[][] forwardAll(int[] tokens) {
            try (NDManager scope = manager.newSubManager()) {
                float[] flat = logits(run(scope, tokens)).toFloatArray();
                int vocab = config.vocabSize();
                float[][] out = new float[tokens.length][];
                for (int i = 0; i < tokens.length; i++) {
                    out[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
                }
                return out;
            }
        }

        private NDArray run(NDManager scope, int[] tokens) {
            if (!open || closed.get()) {
                throw new IllegalStateException("sequence or model is closed");
            }
            if (tokens.length == 0) {
                throw new IllegalArgumentException("no tokens to evaluate");
            }
            if (length + tokens.length > capacity) {
                throw new IllegalArgumentException("sequence capacity " + capacity + " exceeded: " + length + " + "
                        + tokens.length + " tokens");
            }
            long[] ids = new long[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                    // Out-of-range ids would make libtorch's index_select fail natively; refuse them here.
                    throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
                ids[i] = tokens[i];
            }
            NDArray h = hidden(scope, cache, length, ids);
            length += tokens.length;
            return h;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                manager.close();
            }
        }
    }
}
