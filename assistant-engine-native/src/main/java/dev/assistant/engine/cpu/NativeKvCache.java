package dev.assistant.engine.cpu;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.safetensors.DirectBuffers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Keys and values of every layer for one sequence, in direct buffers this cache owns, preallocated to the
 * sequence's capacity, in the layout {@code llama_model.c} reads and writes. Float32: keys [kvHeads, headDim,
 * capacity] and values [kvHeads, capacity, headDim] per layer. INT8 ({@code kv_cache.h}): each layer's buffer holds
 * float32 scales [kvHeads, capacity] (one per head and position), then int8 elements in the float32 order.
 * {@link #close()} frees them at once (not at some later garbage collection), so a closed sequence gives its memory
 * back.
 */
final class NativeKvCache implements AutoCloseable {
    private final ByteBuffer[] keys;
    private final ByteBuffer[] values;
    private final long[] keyAddresses;
    private final long[] valueAddresses;
    private final KvCacheType type;
    private final int capacity;
    private final int kvHeads;
    private final int headDim;
    private final long bytes;
    private boolean open = true;

    NativeKvCache(KvCacheType type, int layers, int kvHeads, int capacity, int headDim) {
        long perLayer = layerBytes(type, kvHeads, capacity, headDim);
        if (perLayer > Integer.MAX_VALUE) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "a KV cache of " + capacity
                    + " tokens needs " + perLayer + " bytes per layer, more than one buffer holds");
        }
        this.type = type;
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.bytes = 2L * layers * perLayer;
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
                    + " tokens (" + bytes + " bytes of direct memory; the JVM's limit is "
                    + "-XX:MaxDirectMemorySize, by default the maximum heap size)", e);
        }
    }

    /** Bytes of one layer's key (or value) buffer: {@code capacity} positions of every KV head. */
    static long layerBytes(KvCacheType type, int kvHeads, int capacity, int headDim) {
        return (long) kvHeads * capacity * type.bytesPerHead(headDim);
    }

    int capacity() {
        return capacity;
    }

    /** Bytes of direct memory the buffers hold (keys and values of every layer). */
    long bytes() {
        return bytes;
    }

    /** Each layer's key buffer address (valid until {@link #close()}). */
    long[] keyAddresses() {
        return keyAddresses;
    }

    long[] valueAddresses() {
        return valueAddresses;
    }

    /**
     * Copies the first {@code length} positions of every layer of {@code source} (same model shape and cache type,
     * any capacity) into this cache. Keys are strided by capacity ([kvHeads, headDim, capacity]): one run of
     * {@code length} elements per head dimension; values ([kvHeads, capacity, headDim]) are one run per head; INT8
     * scales ([kvHeads, capacity]) one run per head, before the elements.
     */
    void copyPrefix(NativeKvCache source, int length) {
        if (!open || !source.open) {
            throw new IllegalStateException("the KV cache is closed");
        }
        if (length > capacity || length > source.capacity || source.keys.length != keys.length
                || source.kvHeads != kvHeads || source.headDim != headDim || source.type != type) {
            throw new IllegalArgumentException("cannot copy " + length + " positions between KV caches of capacity "
                    + source.capacity + " and " + capacity);
        }
        int e = type == KvCacheType.INT8 ? 1 : Float.BYTES;
        int from = 0;
        int to = 0;
        if (type == KvCacheType.INT8) {
            int f = Float.BYTES;
            for (int layer = 0; layer < keys.length; layer++) {
                for (int head = 0; head < kvHeads; head++) {
                    keys[layer].put(head * capacity * f, source.keys[layer], head * source.capacity * f, length * f);
                    values[layer].put(head * capacity * f, source.values[layer], head * source.capacity * f,
                            length * f);
                }
            }
            from = kvHeads * source.capacity * f; // the elements start after the scales
            to = kvHeads * capacity * f;
        }
        for (int layer = 0; layer < keys.length; layer++) {
            for (int row = 0; row < kvHeads * headDim; row++) {
                keys[layer].put(to + row * capacity * e, source.keys[layer], from + row * source.capacity * e,
                        length * e);
            }
            for (int head = 0; head < kvHeads; head++) {
                values[layer].put(to + head * capacity * headDim * e, source.values[layer],
                        from + head * source.capacity * headDim * e, length * headDim * e);
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
