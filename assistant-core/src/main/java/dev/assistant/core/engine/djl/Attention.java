package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Causal scaled dot-product attention with grouped-query heads over a KV cache. */
final class Attention {
    private Attention() {
    }

    /**
     * @param q      queries [tokens, heads, headDim] for positions {@code [past, past + tokens)}
     * @param keys   cached keys [kvHeads, past + tokens, headDim]
     * @param values cached values, same shape
     * @return [tokens, heads * headDim]
     */
    static NDArray compute(NDManager scope, NDArray q, NDArray keys, NDArray values, int past) {
        Shape qs = q.getShape();
        int tokens = (int) qs.get(0);
        int heads = (int) qs.get(1);
        int headDim = (int) qs.get(2);
        int kvHeads = (int) keys.getShape().get(0);
        int total = (int) keys.getShape().get(1);
        int groups = heads / kvHeads;
        // Query head h reads KV head h / groups: grouping heads as [kvHeads, groups * tokens] lets one batched
        // matmul per KV head serve all its query heads without repeating keys.
        NDArray grouped = q.transpose(1, 0, 2).reshape(kvHeads, (long) groups * tokens, headDim);
        NDArray scores = grouped.matMul(keys.transpose(0, 2, 1)).mul(1.0f / (float) Math.sqrt(headDim));
        if (tokens > 1) {
            scores = scores.reshape(kvHeads, groups, tokens, total).add(causalMask(scope, tokens, past, total))
                    .reshape(kvHeads, (long) groups * tokens, total);
        }
        NDArray out = scores.softmax(-1).matMul(values);
        return out.reshape(heads, tokens, headDim).transpose(1, 0, 2).reshape(tokens, (long) heads * headDim);
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
