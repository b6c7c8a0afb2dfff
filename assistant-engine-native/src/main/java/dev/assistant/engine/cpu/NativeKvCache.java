package dev.assistant.engine.cpu;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.safetensors.DirectBuffers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Keys and values of every layer for one sequence, in direct buffers this cache owns, preallocated to the
 * sequence's capacity: keys [kvHeads, headDim, capacity] and values [kvHeads, capacity, headDim] per layer, the
 * layout {@code llama_model.c} reads and writes. {@link #close()} frees them at once (not at some later garbage
 * collection), so a closed sequence gives its memory back.
 */
final class NativeKvCache implements AutoCloseable {
    private final ByteBuffer[] keys;
    private final ByteBuffer[] values;
    private final long[] keyAddresses;
    private final long[] valueAddresses;
    private final int capacity;
    private final int kvHeads;
    private final int headDim;
    private boolean open = true;

    NativeKvCache(int layers, int kvHeads, int capacity, int headDim) {
        long perLayer = (long) kvHeads * headDim * capacity * Float.BYTES;
        if (perLayer > Integer.MAX_VALUE) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "a KV cache of " + capacity
                    + " tokens needs " + perLayer + " bytes per layer, more than one buffer holds");
        }
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        keys = new ByteBuffer[layers];
        values = new ByteBuffer[layers];
        keyAddresses = new long[layers];
        valueAddresses = new long[layers];
        try {
            for (int i = 0; i < layers; i++) {
                keys[i] = ByteBuffer.allocateDirect((int) perLayer).order(ByteOrder.nativeOrder());
                values[i] = ByteBuffer.allocateDirect((int) perLayer).order(ByteOrder.nativeOrder());
                keyAddresses[i] = NativeLlamaLayers.addressOf(keys[i]);
                valueAddresses[i] = NativeLlamaLayers.addressOf(values[i]);
            }
        } catch (OutOfMemoryError e) {
            close();
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "cannot allocate the KV cache for " + capacity
                    + " tokens (" + 2 * layers * perLayer + " bytes of direct memory; the JVM's limit is "
                    + "-XX:MaxDirectMemorySize, by default the maximum heap size)", e);
        }
    }

    int capacity() {
        return capacity;
    }

    /** Each layer's key buffer address (valid until {@link #close()}). */
    long[] keyAddresses() {
        return keyAddresses;
    }

    long[] valueAddresses() {
        return valueAddresses;
    }

    /**
     * Copies the first {@code length} positions of every layer of {@code source} (same model shape, any capacity)
     * into this cache. Keys are strided by capacity ([kvHeads, headDim, capacity]): one run of {@code length}
     * floats per head dimension; values ([kvHeads, capacity, headDim]) are one run per head.
     */
    void copyPrefix(NativeKvCache source, int length) {
        if (!open || !source.open) {
            throw new IllegalStateException("the KV cache is closed");
        }
        if (length > capacity || length > source.capacity || source.keys.length != keys.length
                || source.kvHeads != kvHeads || source.headDim != headDim) {
            throw new IllegalArgumentException("cannot copy " + length + " positions between KV caches of capacity "
                    + source.capacity + " and " + capacity);
        }
        int f = Float.BYTES;
        for (int layer = 0; layer < keys.length; layer++) {
            for (int row = 0; row < kvHeads * headDim; row++) {
                keys[layer].put(row * capacity * f, source.keys[layer], row * source.capacity * f, length * f);
            }
            for (int head = 0; head < kvHeads; head++) {
                values[layer].put(head * capacity * headDim * f, source.values[layer],
                        head * source.capacity * headDim * f, length * headDim * f);
            }
        }
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        for (int i = 0; i < keys.length; i++) {
            DirectBuffers.release(keys[i]);
            DirectBuffers.release(values[i]);
            keys[i] = null;
            values[i] = null;
        }
    }
}
