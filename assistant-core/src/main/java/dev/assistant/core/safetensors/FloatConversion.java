package dev.assistant.core.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Converts half-precision tensors to float32 in Java.
 *
 * <p>BF16 must never reach DJL: it has no BF16 mapping and aborts the JVM. F16 could be converted by libtorch, but
 * doing both here keeps one code path and lets the result go into a buffer we own (the source is a read-only map).
 */
public final class FloatConversion {
    private FloatConversion() {
    }

    /** Returns {@code source} (little-endian, of {@code dtype}) as float32 values in a new direct buffer. */
    public static ByteBuffer toF32(ByteBuffer source, DType dtype) {
        ByteBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32:
                return src;
            case BF16: {
                ShortBuffer in = src.asShortBuffer();
                ByteBuffer out = ByteBuffer.allocateDirect(in.remaining() * 4).order(ByteOrder.nativeOrder());
                FloatBuffer floats = out.asFloatBuffer();
                while (in.hasRemaining()) {
                    floats.put(Float.intBitsToFloat((in.get() & 0xFFFF) << 16));
                }
                return out;
            }
            case F16: {
                ShortBuffer in = src.asShortBuffer();
                ByteBuffer out = ByteBuffer.allocateDirect(in.remaining() * 4).order(ByteOrder.nativeOrder());
                FloatBuffer floats = out.asFloatBuffer();
                while (in.hasRemaining()) {
                    floats.put(halfToFloat(in.get()));
                }
                return out;
            }
            default:
                throw new IllegalArgumentException(dtype + " is not a floating-point type");
        }
    }

    /** IEEE 754 binary16 to binary32, exact (including subnormals, infinities and NaN). */
    public static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            float value = mantissa / 16777216f; // mantissa * 2^-24
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** float32 to bfloat16 bits with round-to-nearest-even (NaN kept quiet). */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
