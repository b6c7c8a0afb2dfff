package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
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
    }

    @Override
    protected NDArray hidden(NDManager scope, KvCache cache, int past, long[] ids) {
        int n = ids.length;
        int heads = config.numHeads();
        int headDim = config.headDim();
        int hidden = config.hiddenSize();
        NDArray x = tokenEmbeddings.lookup(scope, ids)
                .add(positionEmbeddings.get(scope, new NDIndex("{}:{}", past, past + n)));
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            NDArray qkv = layer.qkv.apply(norm(x, layer.norm1Weight, layer.norm1Bias));
            NDArray q = qkv.get(new NDIndex(":, :{}", hidden)).reshape(n, heads, headDim);
            NDArray k = qkv.get(new NDIndex(":, {}:{}", hidden, 2 * hidden)).reshape(n, heads, headDim);
            NDArray v = qkv.get(new NDIndex(":, {}:", 2 * hidden)).reshape(n, heads, headDim);
            NDArray[] kv = cache.append(scope, i, past, k.transpose(1, 0, 2), v.transpose(1, 0, 2));
            x = x.add(layer.attentionOut.apply(Attention.compute(scope, q, kv[0], kv[1], past)));
            NDArray up = layer.up.apply(norm(x, layer.norm2Weight, layer.norm2Bias));
            x = x.add(layer.down.apply(geluNew(up)));
        }
        return norm(x, finalNormWeight, finalNormBias);
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
