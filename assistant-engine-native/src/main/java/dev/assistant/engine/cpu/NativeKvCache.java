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
    private boolean open = true;

    NativeKvCache(int layers, int kvHeads, int capacity, int headDim) {
        long perLayer = (long) kvHeads * headDim * capacity * Float.BYTES;
        if (perLayer > Integer.MAX_VALUE) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "a KV cache of " + capacity
                    + " tokens needs " + perLayer + " bytes per layer, more than one buffer holds");
        }
        this.capacity = capacity;
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
