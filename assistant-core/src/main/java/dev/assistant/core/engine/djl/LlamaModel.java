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
 * <p>Every linear layer runs once per forward pass for all rows of a ragged batch; only attention runs per sequence.
 */
final class LlamaModel extends DjlCausalModel {
    private final TokenEmbedding embeddings;
    private final Layer[] layers;
    private final NDArray finalNorm;
    private final LinearLayer head;
    private final float[] inverseFrequencies;
    private final NDArray rotateHalf;
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
        super(config, weights, computeType);
        this.embeddings = embeddings;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.head = head;
        // a tensor, not a float: adding a Java number costs an extra native call to wrap it, every norm of every step
        this.eps = weights.create(new float[]{(float) config.normEps()}, new Shape(1));
        this.inverseFrequencies = config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim());
        this.rotateHalf = rotateHalfMatrix(weights, config.headDim());
    }

    /**
     * [headDim, headDim] permutation with {@code x @ P = [x2, x1]}: one exact matmul (a single non-zero per column)
     * instead of slicing, negating and concatenating the halves, which costs four native calls per tensor.
     */
    private static NDArray rotateHalfMatrix(NDManager manager, int headDim) {
        int half = headDim / 2;
        float[] p = new float[headDim * headDim];
        for (int j = 0; j < half; j++) {
            p[(j + half) * headDim + j] = 1; // output column j takes input j + half
            p[j * headDim + j + half] = 1;   // output column j + half takes input j
        }
        return manager.create(p, new Shape(headDim, headDim));
    }

    /**
     * RoPE factors for the rows' positions, each [rows, 1, headDim]: cos and signed sin for keys, and the same
     * multiplied by {@code 1/sqrt(headDim)} for queries (folding the attention scale into RoPE saves a native
     * call per sequence and layer). Each frequency is repeated for both halves (HF's {@code cat(freqs, freqs)}); the
     * sin factor is negated on the first half so that {@code x * cos + (x @ P) * sin} is rotate-half RoPE.
     * Computed in Java for just these rows: cheaper than indexing a table, and no table of the whole context.
     */
    private NDArray[] ropeFactors(NDManager scope, int[] positions) {
        int headDim = config.headDim();
        int half = headDim / 2;
        int rows = positions.length;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int plane = rows * headDim;
        float[] f = new float[4 * plane];
        for (int r = 0; r < rows; r++) {
            int base = r * headDim;
            for (int j = 0; j < half; j++) {
                float angle = (float) positions[r] * inverseFrequencies[j]; // float32 product, as PyTorch computes it
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                f[base + j] = c;
                f[base + j + half] = c;
                f[plane + base + j] = -s;
                f[plane + base + j + half] = s;
                f[2 * plane + base + j] = c * scale;
                f[2 * plane + base + j + half] = c * scale;
                f[3 * plane + base + j] = -s * scale;
                f[3 * plane + base + j + half] = s * scale;
            }
        }
        Shape shape = new Shape(rows, 1, headDim);
        NDArray[] out = new NDArray[4];
        for (int i = 0; i < 4; i++) {
            out[i] = scope.create(java.util.Arrays.copyOfRange(f, i * plane, (i + 1) * plane), shape);
        }
        return out;
    }

    @Override
    protected NDArray hidden(NDManager scope, Segments segments, long[] ids) {
        int n = ids.length;
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        NDArray x = embeddings.lookup(scope, ids);
        NDArray[] rope = ropeFactors(scope, segments.positions());
        NDArray kCos = rope[0];
        NDArray kSin = rope[1];
        NDArray qCos = rope[2];
        NDArray qSin = rope[3];
        long[] qkvSplit = {(long) heads * headDim, (long) (heads + kvHeads) * headDim};
        long[] gateUpSplit = {config.intermediateSize()};
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            NDArray h = rmsNorm(x, layer.attentionNorm);
            NDList qkv = layer.qkv.apply(h).split(qkvSplit, 1);
            NDArray q = rotate(qkv.get(0).reshape(n, heads, headDim), qCos, qSin);
            NDArray k = rotate(qkv.get(1).reshape(n, kvHeads, headDim), kCos, kSin);
            NDArray v = qkv.get(2).reshape(n, kvHeads, headDim);
            x = x.add(layer.o.apply(attention.ragged(scope, segments, i, q, k, v)));
            NDList gateUp = layer.gateUp.apply(rmsNorm(x, layer.mlpNorm)).split(gateUpSplit, 1);
            NDArray gate = gateUp.get(0);
            NDArray mlp = Activation.sigmoid(gate).mul(gate).mul(gateUp.get(1));
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

    /** Rotate-half RoPE: {@code x * cos + [-x2, x1] * sin}, with the sign folded into {@code sin}. */
    private NDArray rotate(NDArray x, NDArray cos, NDArray signedSin) {
        return x.mul(cos).add(x.matMul(rotateHalf).mul(signedSin));
    }
}
