package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for one sequence, preallocated to the sequence's capacity so that appending a
 * token writes in place instead of re-concatenating the whole prefix.
 */
final class KvCache {
    private final NDArray[] keys;
    private final NDArray[] values;

    /** Allocates [kvHeads, capacity, headDim] per layer for keys and values, owned by {@code manager}. */
    KvCache(NDManager manager, int layers, int kvHeads, int capacity, int headDim) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
        Shape shape = new Shape(kvHeads, capacity, headDim);
        for (int i = 0; i < layers; i++) {
            keys[i] = manager.zeros(shape, DataType.FLOAT32);
            values[i] = manager.zeros(shape, DataType.FLOAT32);
        }
    }

    /**
     * Writes {@code k} and {@code v} ([kvHeads, n, headDim]) at positions {@code [past, past + n)} of {@code layer}
     * and returns views of positions {@code [0, past + n)} attached to {@code scope}.
     */
    NDArray[] append(NDManager scope, int layer, int past, NDArray k, NDArray v) {
        int end = past + (int) k.getShape().get(1);
        NDIndex slot = new NDIndex(":, {}:{}", past, end);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex prefix = new NDIndex(":, :{}", end);
        return new NDArray[]{keys[layer].get(scope, prefix), values[layer].get(scope, prefix)};
    }
}
