package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.assistant.core.model.ModelConfig;

/**
 * The Llama family (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama): RMSNorm, rotate-half RoPE, SwiGLU MLP and
 * grouped-query attention, with a tied or separate output head.
 *
 * <p>Every linear layer runs once per forward pass for all rows of a ragged batch. Each decoder layer is one module
 * call ({@link ScriptedLlamaLayer}) where the shipped modules run (float32, and per-channel INT8 on fbgemm);
 * otherwise a layer is a few dozen DJL operations, below.
 */
final class LlamaModel extends DjlCausalModel {
    private final TokenEmbedding embeddings;
    /** The layers as DJL operations, or null when they run as {@link #fused} modules. */
    private final Layer[] layers;
    /** The layers as one module call each, or null. */
    private final ScriptedLlamaLayer[] fused;
    /** All layers as one native call, or null. */
    private final NativeLlamaLayers nativeLayers;
    private final NDArray finalNorm;
    private final LinearLayer head;
    private final RotaryEmbedding rope;
    private final NDArray eps;

    /**
     * One decoder layer. q|k|v and gate|up are fused: each pair or triple reads the same input, so one matrix pass
     * and one native call serve them all.
     */
    record Layer(NDArray attentionNorm, LinearLayer qkv, LinearLayer o, NDArray mlpNorm, LinearLayer gateUp,
                 LinearLayer down) {
    }

    LlamaModel(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings, Layer[] layers,
               NDArray finalNorm, LinearLayer head) {
        this(config, weights, computeType, embeddings, layers, null, null, finalNorm, head);
    }

    LlamaModel(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings,
               ScriptedLlamaLayer[] fused, NDArray finalNorm, LinearLayer head) {
        this(config, weights, computeType, embeddings, null, fused, null, finalNorm, head);
    }

    /**
     * The whole forward pass in {@code nativeLayers} (which holds the final norm and the head too), closed with the
     * model before its weights; {@code embeddings} serves the rows of an INT8 table, which the native side lacks.
     */
    LlamaModel(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings,
               NativeLlamaLayers nativeLayers) {
        this(config, weights, computeType, embeddings, null, null, nativeLayers, null, null);
    }

    private LlamaModel(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings,
                       Layer[] layers, ScriptedLlamaLayer[] fused, NativeLlamaLayers nativeLayers, NDArray finalNorm,
                       LinearLayer head) {
        super(config, weights, computeType);
        this.embeddings = embeddings;
        this.layers = layers;
        this.fused = fused;
        this.nativeLayers = nativeLayers;
        this.finalNorm = finalNorm;
        this.head = head;
        // a tensor, not a float: adding a Java number costs an extra native call to wrap it, every norm of every step
        this.eps = weights.create(new float[]{(float) config.normEps()}, new Shape(1));
        this.rope = new RotaryEmbedding(weights, config.headDim(),
                config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim()));
    }

    @Override
    protected NDArray hidden(NDManager scope, Segments segments, long[] ids) {
        int n = ids.length;
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        if (nativeLayers != null) {
            throw new IllegalStateException("native layers run whole forward passes (see logits)");
        }
        NDArray x = embeddings.lookup(scope, ids);
        if (fused != null) {
            NDArray[] stacked = rope.stackedFactors(scope, segments.positions(), heads, kvHeads);
            try (ScriptedLlamaLayer.PassInputs shared = new ScriptedLlamaLayer.PassInputs(stacked, segments)) {
                for (int i = 0; i < fused.length; i++) {
                    x = fused[i].forward(scope, x, segments, i, shared);
                }
            }
            return rmsNorm(x, finalNorm);
        }
        long[] qkvSplit = {(long) heads * headDim, (long) (heads + kvHeads) * headDim};
        long[] gateUpSplit = {config.intermediateSize()};
        // the batched module rotates q|k together; the per-sequence path rotates them apart through DJL
        NDArray[] stacked = attention.isBatched()
                ? rope.stackedFactors(scope, segments.positions(), heads, kvHeads) : null;
        RotaryEmbedding.Factors factors = attention.isBatched() ? null : rope.factors(scope, segments.positions());
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            NDArray qkv = layer.qkv.apply(rmsNorm(x, layer.attentionNorm));
            NDArray attended;
            if (attention.isBatched()) {
                // splitting, RoPE and attention in one native call
                attended = attention.rotary(scope, segments, i, qkv, heads, stacked);
            } else {
                NDList parts = qkv.split(qkvSplit, 1);
                NDArray q = rope.apply(parts.get(0).reshape(n, heads, headDim), factors.queryCos(),
                        factors.querySin());
                NDArray k = rope.apply(parts.get(1).reshape(n, kvHeads, headDim), factors.keyCos(), factors.keySin());
                NDArray v = parts.get(2).reshape(n, kvHeads, headDim);
                attended = attention.ragged(scope, segments, i, q, k, v);
            }
            x = x.add(layer.o.apply(attended));
            NDList gateUp = layer.gateUp.apply(rmsNorm(x, layer.mlpNorm)).split(gateUpSplit, 1);
            NDArray gate = gateUp.get(0);
            NDArray mlp = Activation.sigmoid(gate).mul(gate).mul(gateUp.get(1));
            x = x.add(layer.down.apply(mlp));
        }
        return rmsNorm(x, finalNorm);
    }

    /** Whether each decoder layer runs as one module call. */
    boolean fusesLayers() {
        return fused != null;
    }

    @Override
    protected long nativeWeightBytes() {
        return nativeLayers == null ? 0 : nativeLayers.ownedBytes();
    }

    /** Whether the forward passes run in the native library. */
    boolean runsNatively() {
        return nativeLayers != null;
    }

    /** The native forward pass, or null. */
    NativeLlamaLayers nativeLayers() {
        return nativeLayers;
    }

    /** The native kernels' instruction set ({@code avx512}, {@code avx2}, {@code x86-64}), or null. */
    String nativeKernels() {
        return nativeLayers == null ? null : nativeLayers.instructionSet();
    }

    @Override
    public void close() {
        if (nativeLayers != null) {
            nativeLayers.close(); // first: it reads float32 weights the weight manager owns
        }
        super.close();
    }

    @Override
    protected NDArray logits(NDArray hidden) {
        return head.apply(hidden);
    }

    /** Natively when the layers run there: one call, no tensor per token; else as every DJL model does. */
    @Override
    protected float[] logits(NDManager scope, Segments segments, int[] ids, boolean allRows) {
        if (nativeLayers == null) {
            return super.logits(scope, segments, ids, allRows);
        }
        float[] embedded = embeddings instanceof Int8Embedding table ? table.rows(ids) : null;
        int[] logitRows = new int[allRows ? ids.length : segments.count()];
        if (allRows) {
            for (int r = 0; r < logitRows.length; r++) {
                logitRows[r] = r;
            }
        } else {
            long[] last = segments.lastRows();
            for (int s = 0; s < logitRows.length; s++) {
                logitRows[s] = (int) last[s];
            }
        }
        float[] logits = new float[logitRows.length * config.vocabSize()];
        nativeLayers.step(ids, embedded, segments, logitRows, logits);
        return logits;
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray rms = x.mul(x).mean(new int[]{-1}, true).add(eps).sqrt();
        return x.div(rms).mul(weight);
    }
}
