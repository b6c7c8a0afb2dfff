package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for one sequence, preallocated to the sequence's capacity so that appending a
 * token writes in place instead of re-concatenating the whole prefix.
 *
 * <p>Layout is position-major, [capacity, kvHeads, headDim] per layer, so the new rows of a step ([n, kvHeads,
 * headDim], straight out of the projection) are written without a transpose. Indexes are built with
 * {@link NDIndex}'s builder methods: parsing index strings costs more than the write itself at one token.
 */
final class KvCache {
    private final NDArray[] keys;
    private final NDArray[] values;
    private final long bytes;

    /** Allocates [capacity, kvHeads, headDim] per layer for keys and values, owned by {@code manager}. */
    KvCache(NDManager manager, int layers, int kvHeads, int capacity, int headDim) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
        Shape shape = new Shape(capacity, kvHeads, headDim);
        for (int i = 0; i < layers; i++) {
            keys[i] = manager.zeros(shape, DataType.FLOAT32);
            values[i] = manager.zeros(shape, DataType.FLOAT32);
        }
        bytes = bytes(layers, kvHeads, capacity, headDim);
    }

    /** Bytes a cache of these dimensions holds: 2 x layers x kvHeads x capacity x headDim x 4. */
    static long bytes(int layers, int kvHeads, int capacity, int headDim) {
        return 2L * layers * kvHeads * capacity * headDim * Float.BYTES;
    }

    long bytes() {
        return bytes;
    }

    /**
     * Writes {@code k} and {@code v} ([n, kvHeads, headDim]) at positions {@code [past, past + n)} of {@code layer}
     * and returns views of positions {@code [0, past + n)} ([past + n, kvHeads, headDim]) attached to {@code scope}.
     */
    NDArray[] append(NDManager scope, int layer, int past, NDArray k, NDArray v) {
        int end = past + (int) k.getShape().get(0);
        NDIndex slot = new NDIndex().addSliceDim(past, end);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex prefix = new NDIndex().addSliceDim(0, end);
        return new NDArray[]{keys[layer].get(scope, prefix), values[layer].get(scope, prefix)};
    }
}
