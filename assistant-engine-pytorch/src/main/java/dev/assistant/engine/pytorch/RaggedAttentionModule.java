package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;

import java.util.Arrays;

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
        return run(scope, "forward", segments, layer, IValue.from((PtNDArray) q), IValue.from((PtNDArray) k),
                IValue.from((PtNDArray) v));
    }

    /**
     * {@link #attend} for a Llama-family layer's fused projection {@code qkv} [rows, (heads + 2 kvHeads) * headDim]:
     * splits it and applies RoPE in the same native call ({@code rope}: {@link RotaryEmbedding#stackedFactors}).
     */
    NDArray rotary(NDManager scope, Segments segments, int layer, NDArray qkv, int heads, NDArray[] rope) {
        return run(scope, "rotary", segments, layer, IValue.from((PtNDArray) qkv), IValue.from((PtNDArray) rope[0]),
                IValue.from((PtNDArray) rope[1]), IValue.from(heads));
    }

    /** Runs {@code method} with {@code leading} followed by the segments' caches, positions and lengths. */
    private NDArray run(NDManager scope, String method, Segments segments, int layer, IValue... leading) {
        IValue[] args = Arrays.copyOf(leading, leading.length + 4);
        args[leading.length] = SegmentArguments.keys(segments, layer);
        args[leading.length + 1] = SegmentArguments.values(segments, layer);
        args[leading.length + 2] = SegmentArguments.past(segments);
        args[leading.length + 3] = SegmentArguments.lengths(segments);
        try (IValue out = IValueUtils.runMethod(module, method, args)) {
            return out.toTensor((PtNDManager) scope);
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }
}
