package dev.assistant.core.gguf;

import dev.assistant.core.safetensors.FloatConversion;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts GGUF tensor bytes to float32, one place for every block format the SDK reads. Layouts follow the public
 * GGML block definitions: each block starts (or for Q6_K ends) with float16 scale(s), then packed quants.
 *
 * <p>{@code src} is read from its position, little-endian; it must hold exactly {@code count} elements' blocks
 * (a multiple of the type's block size, which {@link GgufFile} checks for every tensor).
 */
public final class GgufDequant {
    private GgufDequant() {
    }

    /** The {@code count} float32 values of {@code src}, stored as {@code type}. */
    public static float[] toFloats(GgmlType type, ByteBuffer src, int count) {
        float[] out = new float[count];
        toFloats(type, src, out, 0, count);
        return out;
    }

    /** Writes the {@code count} values of {@code src} into {@code out[from ..]}. */
    public static void toFloats(GgmlType type, ByteBuffer src, float[] out, int from, int count) {
        if (count % type.blockSize() != 0) {
            throw new IllegalArgumentException(count + " elements are not whole " + type + " blocks");
        }
        ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long needed = (long) count / type.blockSize() * type.typeSize();
        if (in.remaining() < needed) {
            throw new IllegalArgumentException(type + ": " + count + " elements need " + needed + " bytes, have "
                    + in.remaining());
        }
        int blocks = count / type.blockSize();
        int o = from;
        switch (type) {
            case F32 -> in.asFloatBuffer().get(out, from, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[o++] = FloatConversion.halfToFloat(in.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[o++] = Float.intBitsToFloat((in.getShort() & 0xFFFF) << 16);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < blocks; b++, o += 32) {
                    float d = half(in);
                    for (int j = 0; j < 32; j++) {
                        out[o + j] = d * in.get();
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < blocks; b++, o += 32) {
                    float d = half(in);
                    for (int j = 0; j < 16; j++) {
                        int q = in.get() & 0xFF;
                        out[o + j] = d * ((q & 0xF) - 8);
                        out[o + j + 16] = d * ((q >>> 4) - 8);
                    }
                }
            }
            case Q4_1 -> {
                for (int b = 0; b < blocks; b++, o += 32) {
                    float d = half(in);
                    float m = half(in);
                    for (int j = 0; j < 16; j++) {
                        int q = in.get() & 0xFF;
                        out[o + j] = d * (q & 0xF) + m;
                        out[o + j + 16] = d * (q >>> 4) + m;
                    }
                }
            }
            case Q5_0, Q5_1 -> {
                boolean withMin = type == GgmlType.Q5_1;
                for (int b = 0; b < blocks; b++, o += 32) {
                    float d = half(in);
                    float m = withMin ? half(in) : 0f;
                    int offset = withMin ? 0 : 16; // Q5_0 is symmetric: 5-bit values centred on 16
                    int qh = in.getInt(); // bit j: the fifth bit of element j
                    for (int j = 0; j < 16; j++) {
                        int q = in.get() & 0xFF;
                        int low = (q & 0xF) | (qh >>> j & 1) << 4;
                        int high = (q >>> 4) | (qh >>> (j + 16) & 1) << 4;
                        out[o + j] = d * (low - offset) + m;
                        out[o + j + 16] = d * (high - offset) + m;
                    }
                }
            }
            case Q4_K -> {
                byte[] scales = new byte[12];
                byte[] qs = new byte[128];
                for (int b = 0; b < blocks; b++, o += 256) {
                    float d = half(in);
                    float dmin = half(in);
                    in.get(scales);
                    in.get(qs);
                    kQuant(d, dmin, scales, qs, null, out, o);
                }
            }
            case Q5_K -> {
                byte[] scales = new byte[12];
                byte[] qh = new byte[32];
                byte[] qs = new byte[128];
                for (int b = 0; b < blocks; b++, o += 256) {
                    float d = half(in);
                    float dmin = half(in);
                    in.get(scales);
                    in.get(qh);
                    in.get(qs);
                    kQuant(d, dmin, scales, qs, qh, out, o);
                }
            }
            case Q6_K -> {
                byte[] ql = new byte[128];
                byte[] qh = new byte[64];
                byte[] sc = new byte[16];
                for (int b = 0; b < blocks; b++, o += 256) {
                    in.get(ql);
                    in.get(qh);
                    in.get(sc);
                    float d = half(in);
                    q6k(d, ql, qh, sc, out, o);
                }
            }
        }
    }

    /**
     * Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins packed into 12 bytes; 4-bit low quants, two
     * sub-blocks per 32 bytes (low nibbles first); Q5_K adds a fifth bit from {@code qh} (bit 2c for the low-nibble
     * sub-block of chunk c, bit 2c+1 for the high).
     */
    private static void kQuant(float d, float dmin, byte[] scales, byte[] qs, byte[] qh, float[] out, int o) {
        for (int chunk = 0; chunk < 4; chunk++) {
            int s = 2 * chunk;
            float d1 = d * scale(scales, s);
            float m1 = dmin * min(scales, s);
            float d2 = d * scale(scales, s + 1);
            float m2 = dmin * min(scales, s + 1);
            for (int l = 0; l < 32; l++) {
                int q = qs[chunk * 32 + l] & 0xFF;
                int lo = q & 0xF;
                int hi = q >>> 4;
                if (qh != null) {
                    int h = qh[l] & 0xFF;
                    lo += ((h >>> (2 * chunk)) & 1) << 4;
                    hi += ((h >>> (2 * chunk + 1)) & 1) << 4;
                }
                out[o + chunk * 64 + l] = d1 * lo - m1;
                out[o + chunk * 64 + 32 + l] = d2 * hi - m2;
            }
        }
    }

    /** 6-bit scale of sub-block {@code j} (0..7) from the 12 packed bytes. */
    static int scale(byte[] q, int j) {
        return j < 4 ? q[j] & 63 : (q[j + 4] & 0xF) | ((q[j - 4] & 0xFF) >>> 6 << 4);
    }

    /** 6-bit min of sub-block {@code j} (0..7) from the 12 packed bytes. */
    static int min(byte[] q, int j) {
        return j < 4 ? q[j + 4] & 63 : ((q[j + 4] & 0xFF) >>> 4) | ((q[j] & 0xFF) >>> 6 << 4);
    }

    /**
     * Q6_K: two halves of 128; in each, {@code ql} holds 64 bytes of low nibbles, {@code qh} 32 bytes of 2-bit
     * high parts, and 16 int8 scales cover sub-blocks of 16. Values are centred by subtracting 32.
     */
    private static void q6k(float d, byte[] ql, byte[] qh, byte[] sc, float[] out, int o) {
        for (int half = 0; half < 2; half++) {
            int l0 = half * 64;
            int h0 = half * 32;
            int s0 = half * 8;
            int y = o + half * 128;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int a = ql[l0 + l] & 0xFF;
                int b = ql[l0 + l + 32] & 0xFF;
                int h = qh[h0 + l] & 0xFF;
                int q1 = ((a & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((b & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((b >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                out[y + l] = d * sc[s0 + is] * q1;
                out[y + l + 32] = d * sc[s0 + is + 2] * q2;
                out[y + l + 64] = d * sc[s0 + is + 4] * q3;
                out[y + l + 96] = d * sc[s0 + is + 6] * q4;
            }
        }
    }

    private static float half(ByteBuffer in) {
        return FloatConversion.halfToFloat(in.getShort());
    }
}
