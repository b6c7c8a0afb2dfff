package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;
import dev.assistant.core.model.Gemma2Settings;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.RopeScaling;

/**
 * Gemma 2 and Gemma 3 as DJL operations: embeddings scaled by sqrt(hidden), RMSNorm with (1 + w) (the loader stores 1 + w),
 * norms before and after both attention and MLP, GeGLU with tanh GELU, and an attention of its own (scores scaled
 * by {@code query_pre_attn_scalar^-0.5}, soft-capped, and limited to a sliding window on the even layers), which the
 * batched attention module does not do: each sequence attends through DJL. Gemma 3 adds a per-head RMSNorm (1 + w)
 * on queries and keys before RoPE and rotates its sliding layers with a RoPE base of their own.
 */
final class Gemma2Model extends DjlCausalModel {
    private final TokenEmbedding embeddings;
    private final Layer[] layers;
    private final NDArray finalNorm;
    private final LinearLayer head;
    private final RotaryEmbedding rope;
    /** The sliding layers' rotation (Gemma 3's local base), or {@link #rope} when every layer rotates alike. */
    private final RotaryEmbedding localRope;
    private final Gemma2Settings gemma;
    private final NDArray eps;
    private final float embeddingScale;

    /**
     * One decoder layer; every norm weight already holds 1 + w. q|k|v and gate|up are fused. {@code queryNorm} and
     * {@code keyNorm} (head_dim each) are Gemma 3's, null for Gemma 2.
     */
    record Layer(NDArray inputNorm, LinearLayer qkv, LinearLayer o, NDArray postAttentionNorm, NDArray preMlpNorm,
                 LinearLayer gateUp, LinearLayer down, NDArray postMlpNorm, NDArray queryNorm, NDArray keyNorm) {
    }

    Gemma2Model(ModelConfig config, NDManager weights, String computeType, TokenEmbedding embeddings, Layer[] layers,
                NDArray finalNorm, LinearLayer head) {
        super(config, weights, computeType);
        this.embeddings = embeddings;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.head = head;
        this.gemma = config.gemma2Settings().orElseThrow();
        this.eps = weights.create(new float[]{(float) config.normEps()}, new Shape(1));
        this.rope = new RotaryEmbedding(weights, config.headDim(),
                config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim()));
        this.localRope = gemma.localRopeTheta() == 0 ? rope : new RotaryEmbedding(weights, config.headDim(),
                RopeScaling.NONE.inverseFrequencies(gemma.localRopeTheta(), config.headDim()));
        // HF multiplies by sqrt(hidden) rounded to the activations' type: float32 here
        this.embeddingScale = (float) Math.sqrt(config.hiddenSize());
    }

    @Override
    protected NDArray hidden(NDManager scope, Segments segments, long[] ids) {
        int n = ids.length;
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();
        long[] qkvSplit = {(long) heads * headDim, (long) (heads + kvHeads) * headDim};
        long[] gateUpSplit = {config.intermediateSize()};
        // RoPE without the 1/sqrt(headDim) the query factors carry: Gemma 2 scales the scores itself
        RotaryEmbedding.Factors global = rope.factors(scope, segments.positions());
        RotaryEmbedding.Factors local = localRope == rope ? global : localRope.factors(scope, segments.positions());
        NDArray x = embeddings.lookup(scope, ids).mul(embeddingScale);
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            NDList parts = layer.qkv.apply(rmsNorm(x, layer.inputNorm)).split(qkvSplit, 1);
            NDArray q = parts.get(0).reshape(n, heads, headDim);
            NDArray k = parts.get(1).reshape(n, kvHeads, headDim);
            if (layer.queryNorm != null) {
                q = rmsNorm(q, layer.queryNorm);
                k = rmsNorm(k, layer.keyNorm);
            }
            RotaryEmbedding.Factors factors = gemma.slides(i) ? local : global;
            RotaryEmbedding r = gemma.slides(i) ? localRope : rope;
            q = r.apply(q, factors.keyCos(), factors.keySin());
            k = r.apply(k, factors.keyCos(), factors.keySin());
            NDArray v = parts.get(2).reshape(n, kvHeads, headDim);
            NDArray attended = attend(scope, segments, i, q, k, v);
            x = x.add(rmsNorm(layer.o.apply(attended), layer.postAttentionNorm));
            NDList gateUp = layer.gateUp.apply(rmsNorm(x, layer.preMlpNorm)).split(gateUpSplit, 1);
            NDArray mlp = geluTanh(gateUp.get(0)).mul(gateUp.get(1));
            x = x.add(rmsNorm(layer.down.apply(mlp), layer.postMlpNorm));
        }
        return rmsNorm(x, finalNorm);
    }

    @Override
    protected NDArray logits(NDArray hidden) {
        return softcap(head.apply(hidden), gemma.finalSoftcap());
    }

    private NDArray rmsNorm(NDArray x, NDArray onePlusWeight) {
        NDArray rms = x.mul(x).mean(new int[]{-1}, true).add(eps).sqrt();
        return x.div(rms).mul(onePlusWeight);
    }

    /** {@code cap * tanh(x / cap)}, or x when {@code cap} is 0 (no capping). */
    private static NDArray softcap(NDArray x, double cap) {
        return cap == 0 ? x : x.div((float) cap).tanh().mul((float) cap);
    }

    /** GELU, tanh approximation: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI));
        return x.mul(inner.tanh().add(1f)).mul(0.5f);
    }

    /** Appends each segment's keys and values to its cache at {@code layer} and attends; [rows, heads * headDim]. */
    private NDArray attend(NDManager scope, Segments segments, int layer, NDArray q, NDArray k, NDArray v) {
        NDArray kT = k.transpose(1, 2, 0);
        NDArray vT = v.transpose(1, 0, 2);
        long[] cuts = segments.cuts();
        NDList qs = segments.count() == 1 ? new NDList(q) : q.split(cuts, 0);
        NDList ks = segments.count() == 1 ? new NDList(kT) : kT.split(cuts, 2);
        NDList vs = segments.count() == 1 ? new NDList(vT) : vT.split(cuts, 1);
        NDList outs = new NDList(segments.count());
        for (int s = 0; s < segments.count(); s++) {
            NDArray[] kv = segments.cache(s).append(scope, layer, segments.past(s), ks.get(s), vs.get(s));
            outs.add(attendOne(scope, qs.get(s), kv[0], kv[1], segments.past(s), layer));
        }
        return outs.size() == 1 ? outs.get(0) : NDArrays.concat(outs, 0);
    }

    /**
     * One sequence's new rows over its cache: queries [tokens, heads, headDim], keys transposed [kvHeads, headDim,
     * total], values [kvHeads, total, headDim]; returns [tokens, heads * headDim].
     */
    private NDArray attendOne(NDManager scope, NDArray q, NDArray keysT, NDArray values, int past, int layer) {
        int tokens = (int) q.getShape().get(0);
        int heads = (int) q.getShape().get(1);
        int headDim = (int) q.getShape().get(2);
        int kvHeads = (int) keysT.getShape().get(0);
        int total = (int) keysT.getShape().get(2);
        int groups = heads / kvHeads;
        // query head h reads KV head h / groups: as [kvHeads, groups * tokens] one batched matmul serves a group
        NDArray grouped = q.transpose(1, 0, 2).reshape(kvHeads, (long) groups * tokens, headDim);
        NDArray scores = grouped.matMul(keysT).mul((float) Math.pow(gemma.queryPreAttnScalar(), -0.5));
        scores = softcap(scores, gemma.attentionSoftcap());
        scores = scores.reshape(kvHeads, groups, tokens, total)
                .add(mask(scope, tokens, past, total, gemma.slides(layer) ? gemma.slidingWindow() : Integer.MAX_VALUE))
                .reshape(kvHeads, (long) groups * tokens, total);
        NDArray out = scores.softmax(-1).matMul(values); // [kvHeads, groups * tokens, headDim]
        return out.reshape(heads, tokens, headDim).transpose(1, 0, 2).reshape(tokens, (long) heads * headDim);
    }

    /** [tokens, total]: 0 where token t (at past + t) may see position s (s <= past + t, within the window). */
    private static NDArray mask(NDManager scope, int tokens, int past, int total, int window) {
        float[] mask = new float[tokens * total];
        for (int t = 0; t < tokens; t++) {
            int position = past + t;
            for (int s = 0; s < total; s++) {
                if (s > position || position - s >= window) {
                    mask[t * total + s] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        return scope.create(mask, new Shape(tokens, total));
    }
}
