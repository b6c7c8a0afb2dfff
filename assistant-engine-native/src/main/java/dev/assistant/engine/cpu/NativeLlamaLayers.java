package dev.assistant.engine.cpu;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.LongRope;
import dev.assistant.core.model.RopeScaling;
import dev.assistant.quant.BlockMatrix;
import dev.assistant.quant.QuantizedMatrix;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A Llama-family model's forward pass computed by the bundled native library ({@code src/main/c}: the model in plain
 * C, {@code llama_model.c}, behind the JNI glue {@code llama_jni.c}): one call per pass looks up (or takes) the
 * rows' embeddings, computes their rotary factors from the config, runs every layer for every row over the
 * sequences' KV caches (direct buffers the sequences own, written in place), then the final norm and the output head
 * for the rows whose logits are wanted, copied once into the caller's array. Weights are float32 or per-channel INT8.
 *
 * <p>Why: run as libtorch operators a layer is ~70 operators of a few microseconds each; on a SmolLM-135M-shaped
 * model that was as much time per decoded token as the weight products themselves, which held INT8 to ~2.3x FP32.
 * Natively a layer is a few loops, the products stream the weights at memory speed, and INT8 multiplies with VNNI
 * on 16-bit activations where the CPU has AVX-512 VNNI (float activations otherwise). The logits go straight into
 * a Java array: no tensor is made per token.
 *
 * <p>Memory: INT8 weights and the norms are copied into native memory this object owns ({@link #ownedBytes()});
 * float32 weights are read in place from direct buffers that the model owns and keeps alive longer than this
 * object (copies, never the file's memory map). {@link #close()} waits for running passes, then frees the native state; later calls fail with
 * {@code ENGINE_UNAVAILABLE}.
 */
final class NativeLlamaLayers implements AutoCloseable {
    /** Linear slots, in the order of the native library's. */
    static final int QKV = 0;
    static final int O = 1;
    static final int GATE_UP = 2;
    static final int DOWN = 3;
    /** The layer index the native library reads as "the output head". */
    private static final int HEAD = -1;

    /** The rope scaling types, in the order of the native library's ({@code LlamaRopeType}). */
    private static final List<String> ROPE_TYPES = List.of("none", "linear", "llama3");

    private final ModelConfig config;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long handle;

    private NativeLlamaLayers(ModelConfig config, long handle) {
        this.config = config;
        this.handle = handle;
    }

    /** Empty when the native layers can run in this process, else why not. */
    static Optional<String> unavailableBecause() {
        return BundledLibrary.layers().unavailableBecause();
    }

    /**
     * The widest kernels a model may use, widest first: {@code avx512} (the default: the widest the CPU runs),
     * {@code avx2} or {@code x86-64}; narrower ones are for diagnosis and for testing every kernel on one machine
     * (engine option {@code native.kernels}).
     */
    static final List<String> KERNELS = List.of("avx512", "avx2", "x86-64");

    /**
     * Native layers for a model of config {@code c} computing on {@code threads} threads with kernels no wider than
     * {@code widest} (one of {@link #KERNELS}); weights are set next. The native side derives the rotary frequencies
     * from the config's {@code rope_theta} and {@code rope_scaling} (none, {@code linear}, {@code llama3} or Phi-3's
     * {@code longrope}).
     */
    static NativeLlamaLayers create(ModelConfig c, int threads, String widest) {
        Optional<String> unavailable = unavailableBecause();
        if (unavailable.isPresent()) {
            throw new IllegalStateException(unavailable.get());
        }
        RopeScaling rope = c.ropeScaling();
        LongRope longRope = rope.longRope();
        // LongRoPE's factor arrays are set right after creating (plain RoPE until then)
        int ropeType = longRope != null ? 0 : ROPE_TYPES.indexOf(rope.type());
        if (ropeType < 0) {
            throw new IllegalArgumentException("native layers have no rope scaling " + rope.type());
        }
        NativeLlamaLayers layers = new NativeLlamaLayers(c, create(c.hiddenSize(), c.numHeads(), c.numKvHeads(),
                c.headDim(), c.intermediateSize(), c.numLayers(), c.vocabSize(), (float) c.normEps(), ropeType,
                c.ropeTheta(), rope.factor(), rope.lowFreqFactor(), rope.highFreqFactor(),
                rope.originalMaxPositionEmbeddings(), threads, kernelIndex(widest)));
        if (longRope != null) {
            try {
                layers.write(() -> setLongRope(layers.handle, c.ropeTheta(), factors(longRope.shortFactor()),
                        factors(longRope.longFactor()), longRope.originalMaxPositions(), longRope.attentionFactor()));
            } catch (RuntimeException e) {
                layers.close();
                throw e;
            }
        }
        return layers;
    }

    private static double[] factors(List<Double> factors) {
        return factors.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static int kernelIndex(String widest) {
        int index = KERNELS.indexOf(widest);
        if (index < 0) {
            throw new IllegalArgumentException("kernels must be one of " + KERNELS + ", not " + widest);
        }
        return index;
    }

    /** The kernels a model loaded now with {@code widest} would use; the library must be loaded. */
    static String kernelsHere(String widest) {
        return kernelsHere(kernelIndex(widest));
    }

    /** The instruction set the library's kernels use here: {@code avx512}, {@code avx2} or {@code x86-64}. */
    String instructionSet() {
        return read(() -> instructionSet(handle));
    }

    int threads() {
        return read(() -> threads(handle));
    }

    /** Bytes of native memory the weights copied here hold. */
    long ownedBytes() {
        return read(() -> ownedBytes(handle));
    }

    /**
     * How the KV caches of later passes store keys and values: float32, or INT8 with a float32 scale per head and
     * position ({@link NativeKvCache} lays the buffers out as {@code kv_cache.h} reads them).
     */
    void setKvCacheType(KvCacheType type) {
        write(() -> setKvCacheType(handle, type == KvCacheType.INT8 ? 1 : 0));
    }

    /** How the INT8 products of later passes quantize their activations. */
    void setActivations(ActivationPrecision precision) {
        write(() -> setActivations(handle, precision.nativeCode()));
    }

    /** The RMSNorm weights of {@code layer} (copied). */
    void setNorms(int layer, float[] attention, float[] mlp) {
        write(() -> setNorms(handle, layer, attention, mlp));
    }

    /** Qwen3's per-head RMSNorm weights ([head_dim] each) for the queries and keys of {@code layer}, before RoPE. */
    void setHeadNorms(int layer, float[] query, float[] key) {
        write(() -> setHeadNorms(handle, layer, query, key));
    }

    /**
     * Makes this a Gemma 2 / Gemma 3 model (norms after attention and after the MLP, GeGLU, per-layer attention):
     * queries scaled by {@code queryScale} (query_pre_attn_scalar^-0.5), rows by {@code embeddingScale}
     * (sqrt(hidden)), logits soft-capped at {@code finalSoftcap} (0: none), and a local RoPE table of base
     * {@code localRopeTheta} for the layers that ask for it (0: none). Before any pass.
     */
    void setGemma(float queryScale, float embeddingScale, float finalSoftcap, double localRopeTheta) {
        write(() -> setGemma(handle, queryScale, embeddingScale, finalSoftcap, localRopeTheta));
    }

    /**
     * How Gemma layer {@code layer} attends: through a window of the {@code window} latest positions (0: all), with
     * the local RoPE table or the global one, scores soft-capped at {@code softcap} (0: none).
     */
    void setLayerAttention(int layer, int window, boolean localRope, float softcap) {
        write(() -> setLayerAttention(handle, layer, window, localRope ? 1 : 0, softcap));
    }

    /** The RMSNorm weights (as they multiply) of Gemma layer {@code layer}'s attention and MLP outputs (copied). */
    void setPostNorms(int layer, float[] attention, float[] mlp) {
        write(() -> setPostNorms(handle, layer, attention, mlp));
    }

    /**
     * Float32 [out, in] {@code weight} (a direct buffer of native order the caller keeps alive until {@link #close()})
     * as {@code slot} of {@code layer}, read in place; its {@code bias} ([out] or null) copied.
     */
    void setFloatLinear(int layer, int slot, ByteBuffer weight, float[] bias) {
        requireDirect(weight);
        write(() -> setFloatLinear(handle, layer, slot, weight, bias));
    }

    /** Per-channel INT8 {@code matrix} (and float {@code bias}, or null) as {@code slot} of {@code layer}, copied. */
    void setInt8Linear(int layer, int slot, QuantizedMatrix matrix, float[] bias) {
        if (matrix.groupsPerRow() != 1) {
            throw new IllegalArgumentException("native layers take per-channel INT8 only, not " + matrix.scheme().name());
        }
        write(() -> setInt8Linear(handle, layer, slot, matrix.values(), matrix.scales(), bias));
    }

    /**
     * A block {@code matrix} (ggml Q4_0, Q4_1, Q4_K or Q8_0 blocks, see assistant-quant's {@code BlockMatrix}) and float
     * {@code bias} (or null) as {@code slot} of {@code layer}, or of the head with {@link #HEAD}; copied.
     */
    void setBlockLinear(int layer, int slot, BlockMatrix matrix, float[] bias) {
        write(() -> setBlockLinear(handle, layer, slot, matrix.format().ggmlType(), matrix.blocksArray(), bias));
    }

    /** The output head [vocab, hidden] as a group-32 block matrix (copied). */
    void setBlockHead(BlockMatrix matrix) {
        setBlockLinear(HEAD, 0, matrix, null);
    }

    /** An untied embedding table [vocab, hidden] kept as a group-32 block matrix (copied); tokens are looked up in it. */
    void setBlockEmbedding(BlockMatrix table) {
        write(() -> setBlockEmbedding(handle, table.format().ggmlType(), table.blocksArray()));
    }

    /** Looks tokens up in the head's block matrix (a tied table kept quantized) instead of a float32 table. */
    void setEmbeddingFromHead() {
        write(() -> setEmbeddingFromHead(handle));
    }

    /** The float32 embedding table [vocab, hidden], read in place (rows are otherwise passed in embedded). */
    void setEmbedding(ByteBuffer table) {
        requireDirect(table);
        write(() -> setEmbedding(handle, table));
    }

    /** The final RMSNorm's weight (copied). */
    void setFinalNorm(float[] weight) {
        write(() -> setFinalNorm(handle, weight));
    }

    /** The float32 output head [vocab, hidden], read in place; it has no bias (Llama's never has). */
    void setFloatHead(ByteBuffer weight) {
        requireDirect(weight);
        write(() -> setFloatLinear(handle, HEAD, 0, weight, null));
    }

    /** The per-channel INT8 output head [vocab, hidden] (copied). */
    void setInt8Head(QuantizedMatrix matrix) {
        setInt8Linear(HEAD, 0, matrix, null);
    }

    /**
     * One forward pass over the rows {@code ids}: {@code lengths[s]} consecutive rows extend sequence {@code s} from
     * position {@code past[s]}, writing their keys and values into that sequence's caches ({@code keys} and
     * {@code values}: the addresses of each sequence's per-layer buffers, sequence-major, of {@code capacities[s]}
     * positions). Writes the logits of row {@code logitRows[i]} into {@code logits[i]} (each [vocab]): one array per
     * row, so a batch's logits are copied once and no array is large enough for the heap's humongous-object path.
     * {@code embedded} holds the rows already embedded ([rows * hidden]), or is null for a lookup in the table of
     * {@link #setEmbedding}. Allocates nothing: every array is the caller's.
     */
    void step(int[] ids, float[] embedded, int[] lengths, int[] past, int[] capacities, long[] keys, long[] values,
              int[] logitRows, float[][] logits) {
        checkStep(ids, embedded, lengths, past, capacities, keys, values, logitRows, logits);
        lock.readLock().lock();
        try {
            checkOpen();
            step(handle, ids, embedded, lengths, past, capacities, keys, values, logitRows, logits);
        } catch (OutOfMemoryError e) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "no native memory for a forward pass of "
                    + ids.length + " rows", e);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** What the native side checks again: refused here first, with a message naming the argument. */
    private void checkStep(int[] ids, float[] embedded, int[] lengths, int[] past, int[] capacities, long[] keys,
                           long[] values, int[] logitRows, float[][] logits) {
        int segments = lengths.length;
        long caches = (long) segments * config.numLayers();
        if (segments < 1 || past.length != segments || capacities.length != segments || keys.length != caches
                || values.length != caches) {
            throw new IllegalArgumentException("segment arguments do not match each other");
        }
        long rows = 0;
        for (int s = 0; s < segments; s++) {
            if (lengths[s] < 1 || past[s] < 0 || (long) past[s] + lengths[s] > capacities[s]) {
                throw new IllegalArgumentException("segment " + s + " does not fit its cache");
            }
            rows += lengths[s];
        }
        if (ids.length != rows) {
            throw new IllegalArgumentException(ids.length + " token ids for " + rows + " rows");
        }
        if (embedded != null && embedded.length != rows * config.hiddenSize()) {
            throw new IllegalArgumentException("embedded rows are not [rows, hidden]");
        }
        if (embedded == null) {
            for (int id : ids) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary");
                }
            }
        }
        if (logitRows.length < 1 || logitRows.length > rows) {
            throw new IllegalArgumentException(logitRows.length + " logit rows for " + rows + " rows");
        }
        for (int r : logitRows) {
            if (r < 0 || r >= rows) {
                throw new IllegalArgumentException("logit row " + r + " is outside the batch");
            }
        }
        if (logits.length != logitRows.length) {
            throw new IllegalArgumentException(logits.length + " logits arrays for " + logitRows.length + " logit rows");
        }
        for (float[] row : logits) {
            if (row == null || row.length != config.vocabSize()) {
                throw new IllegalArgumentException("a logits array is not [vocab]");
            }
        }
    }

    /** The address of a direct buffer's memory, valid while the buffer is alive. */
    static long addressOf(ByteBuffer buffer) {
        requireDirect(buffer);
        return address(buffer);
    }

    private static void requireDirect(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("native layers read direct buffers only");
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (handle != 0) {
                destroy(handle);
                handle = 0;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void checkOpen() {
        if (handle == 0) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the model has been closed");
        }
    }

    private <T> T read(java.util.function.Supplier<T> call) {
        lock.readLock().lock();
        try {
            checkOpen();
            return call.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    private void write(Runnable call) {
        lock.writeLock().lock();
        try {
            checkOpen();
            call.run();
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static native long create(int hidden, int heads, int kvHeads, int headDim, int ffn, int layers, int vocab,
                                      float eps, int ropeType, double ropeTheta, double ropeFactor,
                                      double lowFreqFactor, double highFreqFactor, int originalMaxPositions,
                                      int threads, int widestKernels);

    private static native void destroy(long handle);

    private static native String kernelsHere(int widestKernels);

    private static native long ownedBytes(long handle);

    private static native int threads(long handle);

    private static native String instructionSet(long handle);

    private static native void setKvCacheType(long handle, int type);

    private static native void setActivations(long handle, int activations);

    private static native void setLongRope(long handle, double theta, double[] shortFactor, double[] longFactor,
                                           int originalMaxPositions, double attentionFactor);

    private static native void setNorms(long handle, int layer, float[] attention, float[] mlp);

    private static native void setHeadNorms(long handle, int layer, float[] query, float[] key);

    private static native void setGemma(long handle, float queryScale, float embeddingScale, float finalSoftcap,
                                        double localRopeTheta);

    private static native void setLayerAttention(long handle, int layer, int window, int rope, float softcap);

    private static native void setPostNorms(long handle, int layer, float[] attention, float[] mlp);

    private static native void setFloatLinear(long handle, int layer, int slot, ByteBuffer weight, float[] bias);

    private static native void setInt8Linear(long handle, int layer, int slot, byte[] values, float[] scales,
                                             float[] bias);

    private static native void setEmbedding(long handle, ByteBuffer table);

    private static native void setBlockLinear(long handle, int layer, int slot, int type, byte[] blocks, float[] bias);

    private static native void setEmbeddingFromHead(long handle);

    private static native void setBlockEmbedding(long handle, int type, byte[] blocks);

    private static native void setFinalNorm(long handle, float[] weight);

    private static native void step(long handle, int[] ids, float[] embedded, int[] lengths, int[] past,
                                    int[] capacities, long[] keys, long[] values, int[] logitRows, float[][] logits);

    private static native long address(ByteBuffer buffer);
}
