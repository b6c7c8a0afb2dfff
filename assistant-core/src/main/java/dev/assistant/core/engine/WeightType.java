package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Locale;

/** The element type weights are computed in. */
public enum WeightType {
    /** float32: exact, 4 bytes per weight. */
    F32,
    /** float16 storage; on CPU computed as float32 after conversion at load (CPU half matmul is slow). */
    F16,
    /** Symmetric INT8 weights with float scales (see assistant-quant). */
    INT8,
    /**
     * 4-bit weights in ggml's Q4_0 blocks (groups of 32 inputs, a float16 scale each) for the linear layers; native
     * engine only.
     */
    Q4;

    public static WeightType parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "unknown dtype '" + text + "'; use f32, f16, int8 or q4");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
