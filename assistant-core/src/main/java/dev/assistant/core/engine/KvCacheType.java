package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.ModelConfig;

import java.util.Locale;

/**
 * How a sequence's KV cache stores keys and values. The cache grows with every token of every running request, so
 * on long contexts and many requests it, not the weights, bounds how many sequences fit in memory.
 */
public enum KvCacheType {
    /** float32: exact, 4 bytes per element. */
    F32,
    /**
     * Symmetric int8 with one float32 scale per KV head per position (the head's largest magnitude / 127), for keys
     * and values alike: {@code headDim + 4} bytes per head per position instead of {@code 4 x headDim}, quantized
     * when the position is written. A scale per position (rather than per block of positions) lets a row be
     * quantized once, when it is written, without re-scaling earlier positions.
     */
    INT8;

    /** {@code f32} or {@code int8}, any case. */
    public static KvCacheType parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "unknown KV cache type '" + text
                    + "'; use f32 or int8");
        }
    }

    /** Bytes of keys and values of one head at one position. */
    public long bytesPerHead(int headDim) {
        return this == F32 ? (long) headDim * Float.BYTES : headDim + (long) Float.BYTES;
    }

    /** Bytes one token adds to a sequence's cache: keys and values of every layer and KV head. */
    public long bytesPerToken(ModelConfig c) {
        return 2L * c.numLayers() * c.numKvHeads() * bytesPerHead(c.headDim());
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
