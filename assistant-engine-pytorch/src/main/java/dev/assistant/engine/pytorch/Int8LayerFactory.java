package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import dev.assistant.core.model.Int8Weights;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.safetensors.DType;
import dev.assistant.quant.Int8Kernel;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;

/**
 * INT8 layers: weights quantized at load from float tensors, or read as stored by {@code assistant quantize}
 * ({@code name.weight} I8 [out, in] plus {@code name.weight_scale} F32 [out, groups]) without re-quantizing.
 * Both routes give the same bytes, so a saved-and-reloaded model computes bit-identical logits.
 *
 * <p>Compute: per-channel matrices go to libtorch's fbgemm ({@link FbgemmInt8Linear}) when {@code fbgemmOwner} is
 * given (CPU); per-group matrices, which fbgemm cannot represent, go to the Java kernel ({@link Int8Linear}).
 */
final class Int8LayerFactory extends LayerFactory {
    private final Int8Weights weights;
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
        this.weights = new Int8Weights(loader.reader(), scheme);
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

    /** See {@link Int8Weights#refinesInput}: applies to fbgemm (the Java kernel keeps float inputs). */
    static boolean refinesInput(String name) {
        return Int8Weights.refinesInput(name);
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
        Int8Weights.Matrix joined = prepare(names, outs, in, bias);
        return layer(joined.matrix(), joined.bias(), joined.refinesInput());
    }

    /**
     * Whether Llama decoder layers can each run as one fbgemm module ({@link ScriptedLlamaLayer}): per-channel
     * weights on fbgemm, and the module works here.
     */
    boolean packsLlamaLayers() {
        return fbgemmOwner != null && weights.scheme().groupSize() == 0
                && ScriptedLlamaLayer.unusableBecause(ShippedModule.INT8_LLAMA_LAYER).isEmpty();
    }

    /** Packs prepared weights into linear slot {@code slot} of a layer module. */
    void packInto(PtSymbolBlock layer, int slot, Int8Weights.Matrix prepared) {
        bytes += FbgemmInt8Linear.packSlot(layer, "load_linear", (long) slot, fbgemmOwner, prepared.matrix(),
                prepared.bias(), reduceRange, prepared.refinesInput(), staging);
    }

    /**
     * The INT8 weights of Llama decoder layer {@code i} of a model of config {@code c}, quantized (or read) but not
     * packed, in the order q|k|v, o, gate|up, down (the slot order of {@link ScriptedLlamaLayer}). Safe on a thread
     * of its own.
     */
    Int8Weights.Matrix[] llamaLayer(ModelConfig c, int i) {
        return weights.llamaLayer(c, i);
    }

    /**
     * The matrices {@code names} side by side (as {@link #fused}), quantized or read but not packed. Touches no
     * libtorch state.
     */
    Int8Weights.Matrix prepare(String[] names, int[] outs, int in, boolean bias) {
        return weights.joined(names, outs, in, bias);
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

    /** @param residual see {@link #refinesInput(String)}; applies to fbgemm (the Java kernel keeps float inputs) */
    private LinearLayer layer(QuantizedMatrix weight, float[] bias, boolean residual) {
        LinearLayer layer = fbgemmOwner != null && weight.groupsPerRow() == 1
                ? FbgemmInt8Linear.pack(fbgemmOwner, weight, bias, reduceRange, residual, staging)
                : new Int8Linear(weight, bias, kernel);
        bytes += layer.weightBytes();
        return layer;
    }

    private QuantizedMatrix matrix(String name, int rows, int cols, boolean transposed) {
        return weights.matrix(name, rows, cols, transposed);
    }
}
