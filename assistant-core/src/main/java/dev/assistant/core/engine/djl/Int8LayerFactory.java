package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.Int8Kernel;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import dev.assistant.quant.Quantizer;

/**
 * INT8 layers: weights quantized at load from float tensors, or read as stored by {@code assistant quantize}
 * ({@code name.weight} I8 [out, in] plus {@code name.weight_scale} F32 [out, groups]) without re-quantizing.
 * Both routes give the same bytes, so a saved-and-reloaded model computes bit-identical logits.
 *
 * <p>Compute: per-channel matrices go to libtorch's fbgemm ({@link FbgemmInt8Linear}) when {@code fbgemmOwner} is
 * given (CPU); per-group matrices, which fbgemm cannot represent, go to the Java kernel ({@link Int8Linear}).
 */
final class Int8LayerFactory extends LayerFactory {
    static final String SCALE_SUFFIX = "_scale";

    private final Quantizer quantizer;
    private final Int8Kernel kernel;
    private final boolean quantizeEmbeddings;
    private final LayerFactory.Float32 floats;
    private final NDManager fbgemmOwner;
    private final boolean reduceRange;
    private final FbgemmInt8Linear.StagingBuffer staging = new FbgemmInt8Linear.StagingBuffer();
    private long bytes;
    private QuantizedMatrix embeddingTable;

    /**
     * @param quantizeEmbeddings also store an untied embedding table and output head as INT8. A table tied to the
     *                           head always stays float32: the head is the layer whose error reaches the logits
     *                           directly, and one float table then serves both lookups and the head.
     */
    Int8LayerFactory(TensorLoader loader, QuantScheme scheme, Int8Kernel kernel, boolean quantizeEmbeddings, boolean tied,
                     NDManager fbgemmOwner) {
        super(loader);
        this.fbgemmOwner = fbgemmOwner;
        this.reduceRange = fbgemmOwner != null && Int8LinearModule.reduceRange();
        this.quantizer = new Quantizer(scheme);
        this.kernel = kernel;
        this.quantizeEmbeddings = quantizeEmbeddings && !tied;
        this.floats = new LayerFactory.Float32(loader);
    }

    @Override
    String computeType() {
        return "int8";
    }

    @Override
    long extraBytes() {
        return bytes;
    }

    /**
     * Whether the INT8 layer {@code name} quantizes its input with each row's rounding residual (about 16 bits, for
     * a second row of compute) rather than with 8 bits per row: only an MLP's output projection (Llama's
     * {@code mlp.down_proj}, GPT-2's {@code mlp.c_proj}), whose input, the SwiGLU or GELU product, is heavy-tailed:
     * a few large values would leave the rest of the row a handful of 8-bit steps. The other layers read a
     * normalization's output or an attention average. Measured in Int8AccuracyTest: 8 bits everywhere failed it,
     * the residual everywhere and the residual here only both pass with the same argmax agreement (perplexity
     * +0.10% and +0.09% on stories260K), and one row instead of two in the other products is what makes decoding
     * faster (the generator script's notes have the figures).
     */
    static boolean refinesInput(String name) {
        return name.endsWith("mlp.down_proj") || name.endsWith("mlp.c_proj");
    }

    @Override
    LinearLayer linear(String name, int out, int in, boolean bias) {
        return layer(matrix(name + ".weight", out, in, false), biasValues(name, out, bias), refinesInput(name));
    }

    @Override
    LinearLayer conv1d(String name, int in, int out) {
        return layer(matrix(name + ".weight", out, in, true), biasValues(name, out, true), refinesInput(name));
    }

    @Override
    LinearLayer fused(String[] names, int[] outs, int in, boolean bias) {
        Weights joined = prepare(names, outs, in, bias);
        return layer(joined.matrix(), joined.bias(), joined.refinesInput());
    }

    private static boolean anyRefinesInput(String[] names) {
        for (String name : names) {
            if (refinesInput(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether Llama decoder layers can each run as one fbgemm module ({@link ScriptedLlamaLayer}): per-channel
     * weights on fbgemm, and the module works here.
     */
    boolean packsLlamaLayers() {
        return fbgemmOwner != null && quantizer.scheme().groupSize() == 0
                && ScriptedLlamaLayer.unusableBecause(ShippedModule.INT8_LLAMA_LAYER).isEmpty();
    }

    /** Packs prepared weights into linear slot {@code slot} of a layer module. */
    void packInto(PtSymbolBlock layer, int slot, Weights weights) {
        bytes += FbgemmInt8Linear.packSlot(layer, "load_linear", (long) slot, fbgemmOwner, weights.matrix(),
                weights.bias(), reduceRange, weights.refinesInput(), staging);
    }

    /**
     * An INT8 matrix, its float bias (null for none) and whether its input gets the residual pass
     * ({@link #refinesInput}).
     */
    record Weights(QuantizedMatrix matrix, float[] bias, boolean refinesInput) {
    }

    /**
     * The INT8 weights of Llama decoder layer {@code i} of a model of config {@code c}, quantized (or read) but not
     * packed, in the order q|k|v, o, gate|up, down (the slot order of {@link ScriptedLlamaLayer} and
     * {@link NativeLlamaLayers}). Safe on a thread of its own.
     */
    Weights[] llamaLayer(ModelConfig c, int i) {
        int hidden = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKvHeads() * c.headDim();
        String p = "model.layers." + i + ".";
        String a = p + "self_attn.";
        return new Weights[]{
                prepare(new String[]{a + "q_proj", a + "k_proj", a + "v_proj"}, new int[]{qOut, kvOut, kvOut}, hidden,
                        c.attentionBias()),
                prepare(new String[]{a + "o_proj"}, new int[]{hidden}, qOut, false),
                prepare(new String[]{p + "mlp.gate_proj", p + "mlp.up_proj"},
                        new int[]{c.intermediateSize(), c.intermediateSize()}, hidden, c.mlpBias()),
                prepare(new String[]{p + "mlp.down_proj"}, new int[]{hidden}, c.intermediateSize(), c.mlpBias())};
    }

    /**
     * The matrices {@code names} side by side (as {@link #fused}), quantized or read but not packed. Touches no
     * libtorch state, so a load may prepare the next layer's weights on another thread while this one packs.
     */
    Weights prepare(String[] names, int[] outs, int in, boolean bias) {
        QuantizedMatrix[] parts = new QuantizedMatrix[names.length];
        float[][] biases = new float[names.length][];
        int total = 0;
        for (int i = 0; i < names.length; i++) {
            parts[i] = matrix(names[i] + ".weight", outs[i], in, false);
            biases[i] = biasValues(names[i], outs[i], bias);
            total += outs[i];
        }
        float[] joined = null;
        if (bias) {
            joined = new float[total];
            for (int i = 0, at = 0; i < names.length; at += outs[i], i++) {
                System.arraycopy(biases[i], 0, joined, at, outs[i]);
            }
        }
        return new Weights(names.length == 1 ? parts[0] : QuantizedMatrix.concatRows(parts), joined,
                anyRefinesInput(names));
    }

    @Override
    TokenEmbedding embedding(String name, int vocab, int hidden) {
        if (!quantizeEmbeddings && store.require(name, vocab, hidden).dtype() != DType.I8) {
            return floats.embedding(name, vocab, hidden);
        }
        embeddingTable = matrix(name, vocab, hidden, false);
        bytes += embeddingTable.sizeInBytes();
        return new Int8Embedding(embeddingTable);
    }

    @Override
    LinearLayer head(String name, int vocab, int hidden, boolean tied) {
        if (tied) {
            if (embeddingTable == null) {
                return floats.head(name, vocab, hidden, true);
            }
            return new Int8Linear(embeddingTable, null, kernel); // shared with the embedding: counted once
        }
        if (!quantizeEmbeddings && store.require(name + ".weight", vocab, hidden).dtype() != DType.I8) {
            return floats.head(name, vocab, hidden, false);
        }
        return layer(matrix(name + ".weight", vocab, hidden, false), null, false);
    }

    /**
     * The output head {@code name} as an INT8 matrix (quantized or read as stored) for a caller that computes it
     * itself, or null when the head is not INT8 of its own: a float32 head, or one tied to the embeddings (then
     * {@link #head} serves it).
     */
    QuantizedMatrix headMatrix(String name, int vocab, int hidden, boolean tied) {
        if (tied || !quantizeEmbeddings && store.require(name + ".weight", vocab, hidden).dtype() != DType.I8) {
            return null;
        }
        return matrix(name + ".weight", vocab, hidden, false);
    }

    /** @param residual see {@link #refinesInput(String)}; applies to fbgemm (the Java kernel keeps float inputs) */
    private LinearLayer layer(QuantizedMatrix weight, float[] bias, boolean residual) {
        LinearLayer layer = fbgemmOwner != null && weight.groupsPerRow() == 1
                ? FbgemmInt8Linear.pack(fbgemmOwner, weight, bias, reduceRange, residual, staging)
                : new Int8Linear(weight, bias, kernel);
        bytes += layer.weightBytes();
        return layer;
    }

    /**
     * The [rows, cols] INT8 matrix of tensor {@code name}: read as stored when it is I8, else quantized from its
     * float values ({@code transposed}: the float tensor is stored [cols, rows], as GPT-2's Conv1D).
     */
    private QuantizedMatrix matrix(String name, int rows, int cols, boolean transposed) {
        TensorInfo info = store.find(name).orElseThrow(() -> new AssistantException(ErrorCode.MODEL_INVALID,
                "missing tensor '" + name + "' in the weights of " + loader.store()));
        if (info.dtype() == DType.I8) {
            return stored(info, rows, cols);
        }
        TensorInfo checked = transposed ? store.require(name, cols, rows) : store.require(name, rows, cols);
        return loader.withFloats(checked, floats -> transposed ? quantizer.quantizeTransposed(floats, cols, rows)
                : quantizer.quantize(floats, rows, cols));
    }

    private QuantizedMatrix stored(TensorInfo values, int rows, int cols) {
        store.require(values.name(), rows, cols);
        QuantScheme scheme = quantizer.scheme();
        TensorInfo scales = store.require(values.name() + SCALE_SUFFIX, rows, scheme.groupsPerRow(cols));
        if (scales.dtype() != DType.F32) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + scales.name() + "' in " + scales.file()
                    + " must be F32, is " + scales.dtype());
        }
        byte[] v = new byte[rows * cols];
        loader.withBytes(values, bytes -> bytes.get(v));
        float[] s = new float[rows * scheme.groupsPerRow(cols)];
        loader.withBytes(scales, bytes -> bytes.asFloatBuffer().get(s));
        return QuantizedMatrix.wrap(rows, cols, scheme, v, s);
    }
}
