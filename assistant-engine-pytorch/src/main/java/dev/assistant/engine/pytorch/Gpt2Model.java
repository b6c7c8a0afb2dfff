package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import dev.assistant.core.model.ModelConfig;

/** GPT-2: LayerNorm, learned absolute positions, fused q|k|v projection, {@code gelu_new} MLP. */
final class Gpt2Model extends DjlCausalModel {
    private static final float GELU_SCALE = (float) Math.sqrt(2.0 / Math.PI);

    private final TokenEmbedding tokenEmbeddings;
    private final NDArray positionEmbeddings;
    private final Layer[] layers;
    private final NDArray finalNormWeight;
    private final NDArray finalNormBias;
    private final LinearLayer head;
    private final Shape normShape;
    private final TokenEmbedding positionLookup;

    record Layer(NDArray norm1Weight, NDArray norm1Bias, LinearLayer qkv, LinearLayer attentionOut,
                 NDArray norm2Weight, NDArray norm2Bias, LinearLayer up, LinearLayer down) {
    }

    Gpt2Model(ModelConfig config, NDManager weights, String computeType, TokenEmbedding tokenEmbeddings,
              NDArray positionEmbeddings, Layer[] layers, NDArray finalNormWeight, NDArray finalNormBias,
              LinearLayer head) {
        super(config, weights, computeType);
        this.tokenEmbeddings = tokenEmbeddings;
        this.positionEmbeddings = positionEmbeddings;
        this.layers = layers;
        this.finalNormWeight = finalNormWeight;
        this.finalNormBias = finalNormBias;
        this.head = head;
        this.normShape = new Shape(config.hiddenSize());
        this.positionLookup = TokenEmbedding.of(positionEmbeddings);
    }

    @Override
    protected NDArray hidden(NDManager scope, Segments segments, long[] ids) {
        int n = ids.length;
        int heads = config.numHeads();
        int headDim = config.headDim();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        NDArray x = tokenEmbeddings.lookup(scope, ids).add(positions(scope, segments));
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            // One split of the fused projection instead of three index-string slices.
            NDList qkv = layer.qkv.apply(norm(x, layer.norm1Weight, layer.norm1Bias)).split(3, 1);
            NDArray q = qkv.get(0).reshape(n, heads, headDim).mul(scale);
            NDArray k = qkv.get(1).reshape(n, heads, headDim);
            NDArray v = qkv.get(2).reshape(n, heads, headDim);
            x = x.add(layer.attentionOut.apply(attention.ragged(scope, segments, i, q, k, v)));
            NDArray up = layer.up.apply(norm(x, layer.norm2Weight, layer.norm2Bias));
            x = x.add(layer.down.apply(geluNew(up)));
        }
        return norm(x, finalNormWeight, finalNormBias);
    }

    /** Learned position embeddings of every row: a slice for one segment, a row lookup for a ragged batch. */
    private NDArray positions(NDManager scope, Segments segments) {
        if (segments.count() == 1) {
            return positionEmbeddings.get(scope, new NDIndex().addSliceDim(segments.past(0),
                    segments.past(0) + segments.length(0)));
        }
        int[] rows = segments.positions();
        long[] ids = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            ids[i] = rows[i];
        }
        return positionLookup.lookup(scope, ids);
    }

    @Override
    protected NDArray logits(NDArray hidden) {
        return head.apply(hidden);
    }

    private NDArray norm(NDArray x, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, normShape, weight, bias, (float) config.normEps()).singletonOrThrow();
    }

    /** The tanh approximation of GELU that GPT-2 was trained with. */
    private static NDArray geluNew(NDArray x) {
        NDArray inner = x.mul(x).mul(x).mul(0.044715f).add(x).mul(GELU_SCALE);
        return x.mul(0.5f).mul(inner.tanh().add(1f));
    }
}
