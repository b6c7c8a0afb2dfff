package dev.assistant.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Optional;

/**
 * Causal scaled dot-product attention with grouped-query heads over KV caches, for a ragged batch: the rows of one
 * forward pass belong to several sequences ({@link Segments}), each attending only to its own cache.
 *
 * <p>Each layer's attention runs in one native call for the whole batch ({@link RaggedAttentionModule}) where the
 * shipped module works on this libtorch; where it does not, each sequence runs through DJL (the same arithmetic,
 * several native calls per sequence and layer).
 */
final class Attention {
    private static final Logger LOG = LoggerFactory.getLogger(Attention.class);
    private static volatile Optional<String> unusable;

    /** Null when every sequence runs through DJL. */
    private final RaggedAttentionModule module;

    private Attention(RaggedAttentionModule module) {
        this.module = module;
    }

    /** Attention for one model, whose module (if any) {@code owner} closes. */
    static Attention forModel(NDManager owner) {
        return unusableBecause().isPresent() ? perSequence()
                : new Attention(RaggedAttentionModule.load(owner, ShippedModule.RAGGED_ATTENTION.archive()));
    }

    /** Empty when the shipped module works here, else why not (probed once per process, logged once). */
    static Optional<String> unusableBecause() {
        Optional<String> known = unusable;
        if (known == null) {
            known = probe(ShippedModule.RAGGED_ATTENTION.archive());
            known.ifPresent(reason -> LOG.warn("attention runs per sequence through DJL (slower with several "
                    + "concurrent requests): the batched attention module does not run here: {}", reason));
            unusable = known;
        }
        return known;
    }

    /** Attention that runs every sequence of a step through DJL: the fallback, and the reference in tests. */
    static Attention perSequence() {
        return new Attention(null);
    }

    /**
     * Empty when the module file {@code bytes} loads and computes what the per-sequence path computes for a small
     * ragged batch (a decode step and a two-token prompt); else why not (a libtorch that cannot read the file, or a
     * wrong result).
     */
    static Optional<String> probe(byte[] bytes) {
        try (NDManager scope = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Attention batched = new Attention(RaggedAttentionModule.load(scope, bytes));
            float[] expected = probeStep(scope, perSequence());
            float[] actual = probeStep(scope, batched);
            if (!Arrays.equals(expected, actual)) {
                return Optional.of("the module computed " + Arrays.toString(actual) + " instead of "
                        + Arrays.toString(expected));
            }
            return Optional.empty();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(ShippedModule.firstLine(e));
        }
    }

    /** Two sequences (1 and 2 tokens cached) of 2 heads over 1 KV head of width 2: one decodes, one reads 2 rows. */
    private static float[] probeStep(NDManager scope, Attention attention) {
        KvCache[] caches = {new KvCache(scope, 1, 1, 4, 2), new KvCache(scope, 1, 1, 4, 2)};
        caches[0].append(scope, 0, 0, scope.create(new float[]{1, 0}, new Shape(1, 2, 1)),
                scope.create(new float[]{1, 2}, new Shape(1, 1, 2)));
        caches[1].append(scope, 0, 0, scope.create(new float[]{0, 1, 1, 0}, new Shape(1, 2, 2)),
                scope.create(new float[]{3, 4, 5, 6}, new Shape(1, 2, 2)));
        Segments step = new Segments(caches, new int[]{1, 2}, new int[]{1, 2});
        NDArray q = scope.create(new float[]{1, 0, 0, 1, 0.5f, 0.5f, -1, 2, 1, 1, 2, -1}, new Shape(3, 2, 2));
        NDArray k = scope.create(new float[]{0.5f, -0.5f, 2, 1, -1, 0}, new Shape(3, 1, 2));
        NDArray v = scope.create(new float[]{7, 8, 9, 10, 11, 12}, new Shape(3, 1, 2));
        return attention.ragged(scope, step, 0, q, k, v).toFloatArray();
    }

    /** Whether a layer's attention runs as one native call for the whole batch. */
    boolean isBatched() {
        return module != null;
    }

    /**
     * {@link #ragged} for a Llama-family layer's fused projection {@code qkv} [rows, (heads + 2 kvHeads) * headDim],
     * splitting it and applying RoPE in the same native call. Only when {@link #isBatched()}: the per-sequence path
     * applies RoPE through DJL first ({@link RotaryEmbedding#apply}) and calls {@link #ragged}.
     *
     * @param rope the pass's {@link RotaryEmbedding#stackedFactors}
     */
    NDArray rotary(NDManager scope, Segments segments, int layer, NDArray qkv, int heads, NDArray[] rope) {
        if (module == null) {
            throw new IllegalStateException("rotary attention needs the batched module");
        }
        return module.rotary(scope, segments, layer, qkv, heads, rope);
    }

    /**
     * Appends each segment's keys and values to its cache at {@code layer} and attends.
     *
     * @param q queries [rows, heads, headDim], already multiplied by {@code 1/sqrt(headDim)}
     * @param k keys [rows, kvHeads, headDim]
     * @param v values, same shape as {@code k}
     * @return [rows, heads * headDim]
     */
    NDArray ragged(NDManager scope, Segments segments, int layer, NDArray q, NDArray k, NDArray v) {
        if (module != null) {
            return module.attend(scope, segments, layer, q, k, v);
        }
        int count = segments.count();
        int rows = segments.rows();
        long width = q.getShape().get(1) * q.getShape().get(2);
        // The caches' layout, for all rows at once (views: no copy yet).
        NDArray kT = k.transpose(1, 2, 0);
        NDArray vT = v.transpose(1, 0, 2);
        if (count == 1) {
            NDArray[] kv = segments.cache(0).append(scope, layer, segments.past(0), kT, vT);
            return merge(attend(scope, q, kv[0], kv[1], segments.past(0)), rows, width);
        }
        // One split per tensor instead of per-segment slices: each slice would be a separate native call.
        long[] cuts = segments.cuts();
        NDList qs = q.split(cuts, 0);
        NDList ks = kT.split(cuts, 2);
        NDList vs = vT.split(cuts, 1);
        NDList outs = new NDList(count);
        for (int s = 0; s < count; s++) {
            NDArray[] kv = segments.cache(s).append(scope, layer, segments.past(s), ks.get(s), vs.get(s));
            NDArray out = attend(scope, qs.get(s), kv[0], kv[1], segments.past(s));
            outs.add(segments.singleRows() ? out : merge(out, segments.length(s), width));
        }
        if (segments.singleRows()) {
            // a decode step: each output is [kvHeads, groups, headDim] = one row; one stack and one reshape for all
            return NDArrays.stack(outs, 0).reshape(rows, width);
        }
        return NDArrays.concat(outs, 0);
    }

    /**
     * Attention of one sequence's new rows over its cache.
     *
     * @param q      scaled queries [tokens, heads, headDim] for positions {@code [past, past + tokens)}
     * @param keysT  cached keys, transposed: [kvHeads, headDim, past + tokens]
     * @param values cached values [kvHeads, past + tokens, headDim]
     * @return [kvHeads, groups * tokens, headDim], rows ordered (group, token) within each KV head: {@link #merge}
     *         turns it into [tokens, heads * headDim]; with one token it already is that row's memory order
     */
    static NDArray attend(NDManager scope, NDArray q, NDArray keysT, NDArray values, int past) {
        Shape qs = q.getShape();
        int tokens = (int) qs.get(0);
        int heads = (int) qs.get(1);
        int headDim = (int) qs.get(2);
        int kvHeads = (int) keysT.getShape().get(0);
        int total = (int) keysT.getShape().get(2);
        int groups = heads / kvHeads;
        // Query head h reads KV head h / groups: grouping heads as [kvHeads, groups * tokens] lets one batched
        // matmul per KV head serve all its query heads without repeating keys. With one token the transpose is
        // the identity, so it is skipped (the common decode case).
        NDArray grouped = tokens == 1 ? q.reshape(kvHeads, groups, headDim)
                : q.transpose(1, 0, 2).reshape(kvHeads, (long) groups * tokens, headDim);
        NDArray scores = grouped.matMul(keysT);
        if (tokens > 1) {
            scores = scores.reshape(kvHeads, groups, tokens, total).add(causalMask(scope, tokens, past, total))
                    .reshape(kvHeads, (long) groups * tokens, total);
        }
        return scores.softmax(-1).matMul(values);
    }

    /** [kvHeads, groups * tokens, headDim] from {@link #attend} as [tokens, heads * headDim]. */
    private static NDArray merge(NDArray attended, int tokens, long width) {
        if (tokens == 1) {
            return attended.reshape(1, width);
        }
        long heads = attended.getShape().get(0) * attended.getShape().get(1) / tokens;
        return attended.reshape(heads, tokens, width / heads).transpose(1, 0, 2).reshape(tokens, width);
    }

    /** [tokens, total]: 0 where token t may see position s (s <= past + t), -inf elsewhere. */
    private static NDArray causalMask(NDManager scope, int tokens, int past, int total) {
        float[] mask = new float[tokens * total];
        for (int t = 0; t < tokens; t++) {
            for (int s = past + t + 1; s < total; s++) {
                mask[t * total + s] = Float.NEGATIVE_INFINITY;
            }
        }
        return scope.create(mask, new Shape(tokens, total));
    }
}
