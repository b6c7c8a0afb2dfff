package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;

/**
 * The attention of a decode step (one new row per sequence) for every sequence of the batch in one native call,
 * through the shipped TorchScript module {@code decode_attention.pt}: each sequence writes its new key and value
 * into its own cache and attends over its prefix, in a loop that runs inside libtorch. Through DJL the same work
 * is about ten native calls per sequence and layer, which made attention grow with the batch faster than the
 * batched matrix products did. The arithmetic per sequence is that of {@link Attention#attend} (same operators,
 * same shapes), so results do not depend on the batch (tested against it).
 */
final class DecodeAttention {
    private final PtSymbolBlock module;

    private DecodeAttention(PtSymbolBlock module) {
        this.module = module;
    }

    /** A module owned by {@code owner}, made from the shipped file or from {@code bytes} (probes, tests). */
    static DecodeAttention load(NDManager owner, byte[] bytes) {
        return new DecodeAttention(ShippedModule.DECODE_ATTENTION.load(owner, bytes));
    }

    static DecodeAttention load(NDManager owner) {
        return load(owner, ShippedModule.DECODE_ATTENTION.archive());
    }

    /**
     * Appends each row's key and value to its sequence's cache at {@code layer} and attends.
     *
     * @param q scaled queries [rows, heads, headDim], one row per segment
     * @param k new keys [rows, kvHeads, headDim]
     * @param v new values, same shape as {@code k}
     * @return [rows, heads * headDim] attached to {@code scope}
     */
    NDArray step(NDManager scope, Segments segments, int layer, NDArray q, NDArray k, NDArray v) {
        int rows = segments.count();
        PtNDArray[] keys = new PtNDArray[rows];
        PtNDArray[] values = new PtNDArray[rows];
        long[] positions = new long[rows];
        for (int s = 0; s < rows; s++) {
            keys[s] = (PtNDArray) segments.cache(s).keys(layer);
            values[s] = (PtNDArray) segments.cache(s).values(layer);
            positions[s] = segments.past(s);
        }
        IValue[] args = {IValue.from((PtNDArray) q), IValue.from((PtNDArray) k), IValue.from((PtNDArray) v),
                IValue.listFrom(keys), IValue.listFrom(values), IValue.listFrom(positions)};
        try (IValue out = module.forward(args)) {
            return out.toTensor((PtNDManager) scope);
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }
}
