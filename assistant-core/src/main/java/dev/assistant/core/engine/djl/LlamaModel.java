package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.assistant.core.model.ModelConfig;

/**
 * The Llama family (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama): RMSNorm, rotate-half RoPE, SwiGLU MLP and
 * grouped-query attention, with a tied or separate output head.
 */
final class LlamaModel extends DjlCausalModel {
    private final TokenEmbedding embeddings;
    private final Layer[] layers;
    private final NDArray finalNorm;
    private final LinearLayer head;
    private final NDArray cos;
    private final NDArray sin;
    private final float eps;

    record Layer(NDArray attentionNorm, LinearLayer q, LinearLayer k, LinearLayer v, LinearLayer o,
                 NDArray mlpNorm, LinearLayer gate, LinearLayer up, LinearLayer down) {
    }

    LlamaModel(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings, Layer[] layers,
               NDArray finalNorm, LinearLayer head) {
        super(config, weights, computeType);
        this.embeddings = embeddings;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.head = head;
        this.eps = (float) config.normEps();
        NDArray[] tables = ropeTables(weights, config);
        this.cos = tables[0];
        this.sin = tables[1];
    }

    /** cos/sin [context, headDim], each frequency repeated for both halves (HF's {@code cat(freqs, freqs)}). */
    private static NDArray[] ropeTables(NDManager manager, ModelConfig config) {
        int headDim = config.headDim();
        int half = headDim / 2;
        int positions = config.maxPositionEmbeddings();
        float[] inv = config.ropeScaling().inverseFrequencies(config.ropeTheta(), headDim);
        float[] cos = new float[positions * headDim];
        float[] sin = new float[positions * headDim];
        for (int p = 0; p < positions; p++) {
            for (int j = 0; j < half; j++) {
                float angle = (float) p * inv[j]; // float32 product, as PyTorch computes it
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * headDim + j] = c;
                cos[p * headDim + j + half] = c;
                sin[p * headDim + j] = s;
                sin[p * headDim + j + half] = s;
            }
        }
        Shape shape = new Shape(positions, headDim);
        return new NDArray[]{manager.create(cos, shape), manager.create(sin, shape)};
    }

    @Override
    protected NDArray hidden(NDManager scope, KvCache cache, int past, long[] ids) {
        int n = ids.length;
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        NDArray x = embeddings.lookup(scope, ids);
        NDIndex positions = new NDIndex("{}:{}", past, past + n);
        NDArray c = cos.get(scope, positions).reshape(n, 1, headDim);
        NDArray s = sin.get(scope, positions).reshape(n, 1, headDim);
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            NDArray h = rmsNorm(x, layer.attentionNorm);
            NDArray q = rotate(layer.q.apply(h).reshape(n, heads, headDim), c, s);
            NDArray k = rotate(layer.k.apply(h).reshape(n, kvHeads, headDim), c, s);
            NDArray v = layer.v.apply(h).reshape(n, kvHeads, headDim);
            NDArray[] kv = cache.append(scope, i, past, k.transpose(1, 0, 2), v.transpose(1, 0, 2));
            x = x.add(layer.o.apply(Attention.compute(scope, q, kv[0], kv[1], past)));
            h = rmsNorm(x, layer.mlpNorm);
            NDArray gate = layer.gate.apply(h);
            NDArray mlp = Activation.sigmoid(gate).mul(gate).mul(layer.up.apply(h));
            x = x.add(layer.down.apply(mlp));
        }
        return rmsNorm(x, finalNorm);
    }

    @Override
    protected NDArray logits(NDArray hidden) {
        return head.apply(hidden);
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray rms = x.mul(x).mean(new int[]{-1}, true).add(eps).sqrt();
        return x.div(rms).mul(weight);
    }

    /** Rotate-half RoPE: {@code x * cos + [-x2, x1] * sin}. */
    private static NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(2) / 2;
        NDArray x1 = x.get(new NDIndex("..., :{}", half));
        NDArray x2 = x.get(new NDIndex("..., {}:", half));
        NDArray rotated = NDArrays.concat(new ai.djl.ndarray.NDList(x2.neg(), x1), -1);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
