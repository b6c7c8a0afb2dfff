package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;

/**
 * The attention of a whole ragged batch (decode steps of some sequences, prompts of others) in one native call,
 * through the shipped TorchScript module {@code ragged_attention.pt}: each segment of rows writes its keys and values
 * into its own sequence's cache and attends causally over its prefix, in a loop that runs inside libtorch. Through
 * DJL the same work is about ten native calls per sequence and layer, which made attention grow with the batch
 * faster than the batched matrix products did. The arithmetic per sequence is that of {@link Attention#attend} (same
 * operators, same shapes), so results do not depend on the batch (tested against it).
 */
final class RaggedAttentionModule {
    private final PtSymbolBlock module;

    private RaggedAttentionModule(PtSymbolBlock module) {
        this.module = module;
    }

    /** A module owned by {@code owner}, made from the module file {@code bytes}. */
    static RaggedAttentionModule load(NDManager owner, byte[] bytes) {
        return new RaggedAttentionModule(ShippedModule.RAGGED_ATTENTION.load(owner, bytes));
    }

    /**
     * Appends each segment's keys and values to its cache at {@code layer} and attends.
     *
     * @param q scaled queries [rows, heads, headDim]
     * @param k new keys [rows, kvHeads, headDim]
     * @param v new values, same shape as {@code k}
     * @return [rows, heads * headDim] attached to {@code scope}
     */
    NDArray attend(NDManager scope, Segments segments, int layer, NDArray q, NDArray k, NDArray v) {
        int count = segments.count();
        PtNDArray[] keys = new PtNDArray[count];
        PtNDArray[] values = new PtNDArray[count];
        long[] past = new long[count];
        long[] lengths = new long[count];
        for (int s = 0; s < count; s++) {
            keys[s] = (PtNDArray) segments.cache(s).keys(layer);
            values[s] = (PtNDArray) segments.cache(s).values(layer);
            past[s] = segments.past(s);
            lengths[s] = segments.length(s);
        }
        IValue[] args = {IValue.from((PtNDArray) q), IValue.from((PtNDArray) k), IValue.from((PtNDArray) v),
                IValue.listFrom(keys), IValue.listFrom(values), IValue.listFrom(past), IValue.listFrom(lengths)};
        try (IValue out = module.forward(args)) {
            return out.toTensor((PtNDManager) scope);
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }
}
