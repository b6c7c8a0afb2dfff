package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for one sequence, preallocated to the sequence's capacity so that appending a
 * token writes in place instead of re-concatenating the whole prefix.
 *
 * <p>Layout is head-major and already in the shapes attention multiplies by: keys transposed,
 * [kvHeads, headDim, capacity], and values [kvHeads, capacity, headDim]. Reading a prefix is then a view that goes
 * straight into the matrix products, with no transpose per sequence and layer (which at batch 8 were a sizeable part
 * of a decode step); the new rows of a step are transposed once for the whole batch instead. Indexes are built
 * with {@link NDIndex}'s builder methods: parsing index strings costs more than the write itself at one token.
 */
final class KvCache {
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private final long bytes;

    /** Allocates keys [kvHeads, headDim, capacity] and values [kvHeads, capacity, headDim] per layer. */
    KvCache(NDManager manager, int layers, int kvHeads, int capacity, int headDim) {
        keys = new NDArray[layers];
        values = new NDArray[layers];
        for (int i = 0; i < layers; i++) {
            keys[i] = manager.zeros(new Shape(kvHeads, headDim, capacity), DataType.FLOAT32);
            values[i] = manager.zeros(new Shape(kvHeads, capacity, headDim), DataType.FLOAT32);
        }
        this.capacity = capacity;
        bytes = bytes(layers, kvHeads, capacity, headDim);
    }

    int capacity() {
        return capacity;
    }

    /** Bytes a cache of these dimensions holds: 2 x layers x kvHeads x capacity x headDim x 4. */
    static long bytes(int layers, int kvHeads, int capacity, int headDim) {
        return 2L * layers * kvHeads * capacity * headDim * Float.BYTES;
    }

    long bytes() {
        return bytes;
    }

    /** The whole key cache of {@code layer}, [kvHeads, headDim, capacity]: written in place by decode steps. */
    NDArray keys(int layer) {
        return keys[layer];
    }

    /** The whole value cache of {@code layer}, [kvHeads, capacity, headDim]. */
    NDArray values(int layer) {
        return values[layer];
    }

    /** Copies the first {@code length} positions of every layer of {@code source} into this cache. */
    void copyPrefix(KvCache source, int length) {
        if (length == 0) {
            return;
        }
        NDIndex keyRange = new NDIndex().addAllDim(2).addSliceDim(0, length);
        NDIndex valueRange = new NDIndex().addAllDim().addSliceDim(0, length);
        for (int layer = 0; layer < keys.length; layer++) {
            try (NDArray k = source.keys[layer].get(keyRange); NDArray v = source.values[layer].get(valueRange)) {
                keys[layer].set(keyRange, k);
                values[layer].set(valueRange, v);
            }
        }
    }

    /**
     * Writes the keys {@code kT} ([kvHeads, headDim, n]) and values {@code vT} ([kvHeads, n, headDim]) of positions
     * {@code [past, past + n)} of {@code layer} and returns views of positions {@code [0, past + n)} attached to
     * {@code scope}: keys [kvHeads, headDim, past + n] and values [kvHeads, past + n, headDim].
     */
    NDArray[] append(NDManager scope, int layer, int past, NDArray kT, NDArray vT) {
        int end = past + (int) vT.getShape().get(1);
        keys[layer].set(new NDIndex().addAllDim(2).addSliceDim(past, end), kT);
        values[layer].set(new NDIndex().addAllDim().addSliceDim(past, end), vT);
        return new NDArray[]{keys[layer].get(scope, new NDIndex().addAllDim(2).addSliceDim(0, end)),
                values[layer].get(scope, new NDIndex().addAllDim().addSliceDim(0, end))};
    }
}
