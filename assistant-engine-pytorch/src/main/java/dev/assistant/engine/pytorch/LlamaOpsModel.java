package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import dev.assistant.core.model.ModelConfig;

/**
 * A Llama-family model whose decoder layers run as separate DJL operations (a few dozen per layer): the path where
 * the shipped TorchScript layer modules cannot run, or when asked for with {@code pytorch.layers=unfused}.
 */
final class LlamaOpsModel extends LlamaBase {
    private final Layer[] layers;

    /**
     * One decoder layer. q|k|v and gate|up are fused: each pair or triple reads the same input, so one matrix pass
     * and one native call serve them all.
     */
    record Layer(NDArray attentionNorm, LinearLayer qkv, LinearLayer o, NDArray mlpNorm, LinearLayer gateUp,
                 LinearLayer down, HeadNorms headNorms) {
        Layer(NDArray attentionNorm, LinearLayer qkv, LinearLayer o, NDArray mlpNorm, LinearLayer gateUp,
              LinearLayer down) {
            this(attentionNorm, qkv, o, mlpNorm, gateUp, down, null);
        }
    }

    /** Qwen3's per-head RMSNorm weights [headDim] for queries and keys, applied before RoPE. */
    record HeadNorms(NDArray query, NDArray key) {
    }

    LlamaOpsModel(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings, Layer[] layers,
                  NDArray finalNorm, LinearLayer head) {
        super(config, weights, computeType, embeddings, finalNorm, head);
        this.layers = layers;
    }

    @Override
    protected NDArray hidden(NDManager scope, Segments segments, long[] ids) {
        int n = ids.length;
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        NDArray x = embeddings.lookup(scope, ids);
        long[] qkvSplit = {(long) heads * headDim, (long) (heads + kvHeads) * headDim};
        long[] gateUpSplit = {config.intermediateSize()};
        // the batched module rotates q|k together; the per-sequence path and Qwen3 (whose q and k are normalized
        // before RoPE) rotate them apart through DJL
        boolean headNorms = layers.length > 0 && layers[0].headNorms() != null;
        boolean rotateInModule = attention.isBatched() && !headNorms;
        NDArray[] stacked = rotateInModule ? rope.stackedFactors(scope, segments, heads, kvHeads) : null;
        RotaryEmbedding.Factors factors = rotateInModule ? null : rope.factors(scope, segments);
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            NDArray qkv = layer.qkv.apply(rmsNorm(x, layer.attentionNorm));
            NDArray attended;
            if (rotateInModule) {
                // splitting, RoPE and attention in one native call
                attended = attention.rotary(scope, segments, i, qkv, heads, stacked);
            } else {
                NDList parts = qkv.split(qkvSplit, 1);
                NDArray q = parts.get(0).reshape(n, heads, headDim);
                NDArray k = parts.get(1).reshape(n, kvHeads, headDim);
                if (layer.headNorms() != null) {
                    // RMSNorm over each head's headDim values: the last axis, as rmsNorm normalizes
                    q = rmsNorm(q, layer.headNorms().query());
                    k = rmsNorm(k, layer.headNorms().key());
                }
                q = rope.apply(q, factors.queryCos(), factors.querySin());
                k = rope.apply(k, factors.keyCos(), factors.keySin());
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
}
