package dev.assistant.engine.cpu;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.BatchArguments;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.safetensors.DirectBuffers;
import dev.assistant.quant.QuantizedMatrix;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A Llama-family model whose forward passes run in the native library ({@link NativeLlamaLayers}): one native call
 * per pass for all rows of all sequences in it. Holds its weights (float32 copies in direct buffers, INT8 matrices
 * inside the native state) and its sequences' KV caches itself: nothing here refers to the model file after load,
 * and nothing to libtorch.
 */
final class NativeLlamaModel implements CausalLanguageModel {
    private final ModelConfig config;
    private final NativeLlamaLayers layers;
    private final List<ByteBuffer> float32Weights;
    private final Embedder embedder;
    private final String computeType;
    private final long weightBytes;
    private final KvCacheType kvCacheType;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Passes hold it shared; closing a KV cache takes it exclusively, so no pass reads freed memory. */
    private final ReentrantReadWriteLock passes = new ReentrantReadWriteLock();

    /** Where the rows' embeddings come from: the table inside the native state, or an INT8 table looked up here. */
    interface Embedder {
        /** The rows of {@code ids} side by side ([ids.length * hidden]), or null for a lookup in the native table. */
        float[] rows(int[] ids);

        /** The float32 table is in the native state. */
        Embedder NATIVE = ids -> null;

        /** An INT8 table: only the rows a pass needs are dequantized. */
        static Embedder int8(QuantizedMatrix table) {
            return ids -> {
                int hidden = table.cols();
                float[] out = new float[ids.length * hidden];
                for (int i = 0; i < ids.length; i++) {
                    table.dequantizeRow(ids[i], out, i * hidden);
                }
                return out;
            };
        }
    }

    /**
     * @param float32Weights the direct buffers {@code layers} reads in place: freed after it when the model closes
     */
    NativeLlamaModel(ModelConfig config, NativeLlamaLayers layers, List<ByteBuffer> float32Weights, Embedder embedder,
                     String computeType, long weightBytes, KvCacheType kvCacheType) {
        this.config = config;
        this.layers = layers;
        this.float32Weights = List.copyOf(float32Weights);
        this.embedder = embedder;
        this.computeType = computeType;
        this.weightBytes = weightBytes;
        this.kvCacheType = kvCacheType;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public int contextLength() {
        return config.maxPositionEmbeddings();
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
    public KvCacheType kvCacheType() {
        return kvCacheType;
    }

    /** Exactly what {@link NativeKvCache} allocates for a sequence of {@code capacity} tokens. */
    @Override
    public long kvCacheBytes(int capacity) {
        return 2L * config.numLayers()
                * NativeKvCache.layerBytes(kvCacheType, config.numKvHeads(), capacity, config.headDim());
    }

    /** Bytes of direct memory {@code sequence}'s KV cache holds (for tests of the accounting). */
    long sequenceCacheBytes(Sequence sequence) {
        return ((NativeSequence) sequence).cacheBytes();
    }

    /** The native kernels' instruction set ({@code avx512}, {@code avx2}, {@code x86-64}). */
    String instructionSet() {
        return layers.instructionSet();
    }

    int threads() {
        return layers.threads();
    }

    /** The native forward pass (for tests of its calls). */
    NativeLlamaLayers layers() {
        return layers;
    }

    @Override
    public Sequence newSequence(int capacity) {
        checkOpen();
        BatchArguments.checkCapacity(capacity, contextLength());
        return new NativeSequence(capacity);
    }

    /**
     * One forward pass for all {@code sequences}. Lengths advance only when the whole pass succeeded, so a failure
     * leaves every sequence as it was.
     */
    @Override
    public float[][] forwardBatch(List<? extends Sequence> sequences, List<int[]> inputs) {
        return run(owned(sequences, inputs), inputs.toArray(new int[0][]), false, null);
    }

    /** {@link #forwardBatch} into the caller's arrays: the pass writes each sequence's logits straight into its own. */
    @Override
    public void forwardBatchInto(List<? extends Sequence> sequences, List<int[]> inputs, float[][] logits) {
        NativeSequence[] owned = owned(sequences, inputs);
        BatchArguments.checkLogitsArrays(logits, owned.length, config.vocabSize());
        run(owned, inputs.toArray(new int[0][]), false,
                logits.length == owned.length ? logits : Arrays.copyOf(logits, owned.length));
    }

    /** The batch's sequences as this model's own, once the model is known to be open (refused otherwise). */
    private NativeSequence[] owned(List<? extends Sequence> sequences, List<int[]> inputs) {
        checkOpen();
        return BatchArguments.owned(sequences, inputs, NativeSequence.class, s -> s.model() == this,
                NativeSequence[]::new);
    }

    /**
     * Validates, runs the pass and returns logits: of every row when {@code allRows}, else of each last row; in
     * {@code into} (one array per such row) when given, else in new arrays.
     */
    private float[][] run(NativeSequence[] sequences, int[][] inputs, boolean allRows, float[][] into) {
        int count = sequences.length;
        int layerCount = config.numLayers();
        int rows = 0;
        for (int s = 0; s < count; s++) {
            sequences[s].checkFits(inputs[s]);
            rows += inputs[s].length;
        }
        int[] ids = new int[rows];
        int[] lengths = new int[count];
        int[] past = new int[count];
        int[] capacities = new int[count];
        long[] keys = new long[count * layerCount];
        long[] values = new long[count * layerCount];
        int[] logitRows = new int[allRows ? rows : count];
        int r = 0;
        for (int s = 0; s < count; s++) {
            NativeSequence sequence = sequences[s];
            for (int i = 0; i < inputs[s].length; i++, r++) {
                ids[r] = inputs[s][i];
                if (allRows) {
                    logitRows[r] = r;
                }
            }
            if (!allRows) {
                logitRows[s] = r - 1;
            }
            lengths[s] = inputs[s].length;
            past[s] = sequence.length;
            capacities[s] = sequence.capacity;
            System.arraycopy(sequence.cache.keyAddresses(), 0, keys, s * layerCount, layerCount);
            System.arraycopy(sequence.cache.valueAddresses(), 0, values, s * layerCount, layerCount);
        }
        float[][] logits = into != null ? into : new float[logitRows.length][config.vocabSize()];
        passes.readLock().lock();
        try {
            for (NativeSequence sequence : sequences) {
                sequence.checkOpen(); // under the lock: no cache is freed while the pass reads it
            }
            layers.step(ids, embedder.rows(ids), lengths, past, capacities, keys, values, logitRows, logits);
        } finally {
            passes.readLock().unlock();
        }
        for (int s = 0; s < count; s++) {
            sequences[s].length += inputs[s].length;
        }
        return logits;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the model has been closed");
        }
    }

    /** Waits for running passes, frees the native state, then the float32 weights it read. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            layers.close();
            passes.writeLock().lock();
            try {
                float32Weights.forEach(DirectBuffers::release);
            } finally {
                passes.writeLock().unlock();
            }
        }
    }

    private final class NativeSequence implements Sequence {
        private final NativeKvCache cache;
        private final int capacity;
        private int length;
        private volatile boolean open = true;

        NativeSequence(int capacity) {
            this.capacity = capacity;
            this.cache = new NativeKvCache(kvCacheType, config.numLayers(), config.numKvHeads(), capacity, config.headDim());
        }

        NativeLlamaModel model() {
            return NativeLlamaModel.this;
        }

        /** Bytes of direct memory this sequence's KV cache holds. */
        long cacheBytes() {
            return cache.bytes();
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
            return run(new NativeSequence[]{this}, new int[][]{tokens}, false, null)[0];
        }

        @Override
        public float[][] forwardAll(int[] tokens) {
            return run(new NativeSequence[]{this}, new int[][]{tokens}, true, null);
        }

        @Override
        public void truncate(int newLength) {
            if (newLength < 0 || newLength > length) {
                throw new IllegalArgumentException("cannot truncate a sequence of " + length + " tokens to " + newLength);
            }
            length = newLength;
        }

        @Override
        public java.util.Optional<Sequence> fork(int newCapacity) {
            if (newCapacity < length) {
                throw new IllegalArgumentException("a fork of " + length + " tokens cannot have capacity " + newCapacity);
            }
            checkOpen();
            NativeSequence copy = (NativeSequence) newSequence(newCapacity);
            try {
                copy.cache.copyPrefix(cache, length);
            } catch (RuntimeException | Error e) {
                copy.close();
                throw e;
            }
            copy.length = length;
            return java.util.Optional.of(copy);
        }

        void checkOpen() {
            if (!open || closed.get()) {
                throw new IllegalStateException("sequence or model is closed");
            }
        }

        void checkFits(int[] tokens) {
            checkOpen();
            if (tokens.length == 0) {
                throw new IllegalArgumentException("no tokens to evaluate");
            }
            if (length + tokens.length > capacity) {
                throw new IllegalArgumentException("sequence capacity " + capacity + " exceeded: " + length + " + "
                        + tokens.length + " tokens");
            }
            for (int token : tokens) {
                if (token < 0 || token >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
            }
        }

        /** Frees the KV cache once no pass is reading it. Idempotent. */
        @Override
        public void close() {
            if (!open) {
                return;
            }
            passes.writeLock().lock();
            try {
                open = false;
                cache.close();
            } finally {
                passes.writeLock().unlock();
            }
        }
    }
}
