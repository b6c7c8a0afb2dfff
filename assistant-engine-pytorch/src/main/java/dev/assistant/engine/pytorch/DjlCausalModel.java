package dev.assistant.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.BatchArguments;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelConfig;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What all DJL transformer models share: the weights' manager, sequences with their KV caches, ragged batches of
 * sequences, and turning the final hidden states into logits. Subclasses implement one architecture's layers.
 *
 * <p>Memory ownership: weights live in {@code weights} (capped after loading, so any intermediate result that
 * would wrongly attach to it fails fast instead of leaking); each sequence owns a manager with its KV cache; each
 * forward pass runs in a scope manager that is closed when the call returns.
 */
abstract class DjlCausalModel implements CausalLanguageModel {
    protected final ModelConfig config;
    protected final NDManager weights;
    protected final Device device;
    protected final Attention attention;
    private final int contextLength;
    private final String computeType;
    private final AtomicBoolean closed = new AtomicBoolean();
    protected long weightBytes;

    DjlCausalModel(ModelConfig config, NDManager weights, String computeType) {
        this.config = config;
        this.weights = weights;
        this.device = weights.getDevice();
        this.attention = Attention.forModel(weights);
        this.contextLength = config.maxPositionEmbeddings();
        this.computeType = computeType;
    }

    /**
     * Runs the layers for {@code ids}, laid out as {@code segments} (each a run of rows extending one sequence's
     * cache); returns final-normed hidden states [rows, hidden] attached to {@code scope}.
     */
    protected abstract NDArray hidden(NDManager scope, Segments segments, long[] ids);

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
    public long kvCacheBytes(int capacity) {
        return KvCache.bytes(config.numLayers(), kvHeads(), capacity, config.headDim());
    }

    @Override
    public Sequence newSequence(int capacity) {
        checkOpen();
        BatchArguments.checkCapacity(capacity, contextLength);
        return new DjlSequence(capacity);
    }

    /**
     * One forward pass for all {@code sequences}: every linear layer (and the output head) runs once over the rows
     * of all of them; attention runs per sequence against its own cache. Lengths advance only when the whole pass
     * succeeded, so a failure (for example a native allocation failure) leaves every sequence as it was.
     */
    @Override
    public float[][] forwardBatch(List<? extends Sequence> sequences, List<int[]> inputs) {
        checkOpen();
        DjlSequence[] owned = BatchArguments.owned(sequences, inputs, DjlSequence.class, s -> s.model() == this,
                DjlSequence[]::new);
        try (NDManager scope = NDManager.newBaseManager(device, "PyTorch")) {
            float[] flat = run(scope, owned, inputs.toArray(new int[0][]), false);
            return BatchArguments.splitRows(flat, owned.length, config.vocabSize());
        }
    }

    /**
     * Validates, runs the layers and returns logits, flat: of every row when {@code allRows}, else of each
     * segment's last row. Advances the sequences' lengths only after success.
     */
    private float[] run(NDManager scope, DjlSequence[] sequences, int[][] inputs, boolean allRows) {
        int rows = 0;
        for (int s = 0; s < sequences.length; s++) {
            sequences[s].checkFits(inputs[s]);
            rows += inputs[s].length;
        }
        long[] ids = new long[rows];
        KvCache[] caches = new KvCache[sequences.length];
        int[] past = new int[sequences.length];
        int[] lengths = new int[sequences.length];
        int r = 0;
        for (int s = 0; s < sequences.length; s++) {
            for (int token : inputs[s]) {
                ids[r++] = token;
            }
            caches[s] = sequences[s].cache;
            past[s] = sequences[s].length;
            lengths[s] = inputs[s].length;
        }
        float[] logits = logits(scope, new Segments(caches, past, lengths), ids, allRows);
        for (int s = 0; s < sequences.length; s++) {
            sequences[s].length += inputs[s].length;
        }
        return logits;
    }

    /**
     * The forward pass of rows {@code ids} laid out as {@code segments}: logits, flat, of every row when
     * {@code allRows}, else of each segment's last row. This implementation runs {@link #hidden} and
     * {@link #logits(NDArray)}; a subclass may compute the whole pass another way.
     */
    protected float[] logits(NDManager scope, Segments segments, long[] ids, boolean allRows) {
        NDArray h = hidden(scope, segments, ids);
        int rows = ids.length;
        if (!allRows && !segments.singleRows()) {
            h = segments.count() == 1 ? h.get(scope, new NDIndex().addSliceDim(rows - 1, rows))
                    : h.get(scope, new NDIndex("{}", scope.create(segments.lastRows())));
        }
        return logits(h).toFloatArray();
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the model has been closed");
        }
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
            } catch (RuntimeException | OutOfMemoryError e) {
                manager.close();
                throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "cannot allocate the KV cache for "
                        + capacity + " tokens: " + e.getMessage(), e);
            }
        }

        DjlCausalModel model() {
            return DjlCausalModel.this;
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
                return run(scope, new DjlSequence[]{this}, new int[][]{tokens}, false);
            }
        }

        @Override
        public float[][] forwardAll(int[] tokens) {
            try (NDManager scope = manager.newSubManager()) {
                float[] flat = run(scope, new DjlSequence[]{this}, new int[][]{tokens}, true);
                return BatchArguments.splitRows(flat, tokens.length, config.vocabSize());
            }
        }

        @Override
        public java.util.Optional<Sequence> fork(int newCapacity) {
            if (newCapacity < length) {
                throw new IllegalArgumentException("a fork of " + length + " tokens cannot have capacity " + newCapacity);
            }
            if (!open || closed.get()) {
                throw new IllegalStateException("sequence or model is closed");
            }
            DjlSequence copy = new DjlSequence(newCapacity);
            try {
                copy.cache.copyPrefix(cache, length);
            } catch (RuntimeException | Error e) {
                copy.close();
                throw e;
            }
            copy.length = length;
            return java.util.Optional.of(copy);
        }

        @Override
        public void truncate(int newLength) {
            if (newLength < 0 || newLength > length) {
                throw new IllegalArgumentException("cannot truncate a sequence of " + length + " tokens to " + newLength);
            }
            length = newLength;
        }

        void checkFits(int[] tokens) {
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
            for (int token : tokens) {
                if (token < 0 || token >= config.vocabSize()) {
                    // Out-of-range ids would make libtorch's index_select fail natively; refuse them here.
                    throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
            }
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
