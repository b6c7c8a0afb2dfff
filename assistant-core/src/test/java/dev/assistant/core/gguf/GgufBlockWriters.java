package dev.assistant.core.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test-scope writers of GGUF Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K blocks from float32 values (a whole number of blocks), in
 * ggml's byte layout. Round-to-nearest quantizers (no search for the best scales, unlike llama.cpp's tools): the
 * tests need files in the formats, not the best files in them.
 */
public final class GgufBlockWriters {
    private GgufBlockWriters() {
    }

    /** The blocks of {@code values} in {@code type} (Q4_0, Q8_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K). */
    public static byte[] write(GgmlType type, float[] values) {
        if (values.length % type.blockSize() != 0) {
            throw new IllegalArgumentException(values.length + " values are not whole " + type + " blocks");
        }
        return switch (type) {
            case Q4_0 -> dev.assistant.quant.BlockMatrix.quantize(dev.assistant.quant.BlockFormat.Q4_0, values,
                    values.length / 32, 32).blocksArray(); // ggml's reference rounding, as the shared converter's
            case Q8_0 -> GgufConverter.q8_0(values);
            case Q4_1 -> q4_1(values);
            case Q5_0 -> q5(values, false);
            case Q5_1 -> q5(values, true);
            case Q4_K -> kQuant(values, false);
            case Q5_K -> kQuant(values, true);
            case Q6_K -> q6_K(values);
            default -> throw new IllegalArgumentException("no block writer for " + type);
        };
    }

    /** Q4_1: per 32, d = (max - min) / 15 and m = min as float16, q = round((x - m) / d) in 0..15. */
    static byte[] q4_1(float[] values) {
        ByteBuffer out = ByteBuffer.allocate(values.length / 32 * 20).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < values.length / 32; b++) {
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            for (int j = 0; j < 32; j++) {
                lo = Math.min(lo, values[b * 32 + j]);
                hi = Math.max(hi, values[b * 32 + j]);
            }
            short dh = GgufConverter.toHalf((hi - lo) / 15);
            short mh = GgufConverter.toHalf(lo);
            out.putShort(dh).putShort(mh);
            float d = half(dh);
            float m = half(mh);
            byte[] q = new byte[32];
            for (int j = 0; j < 32; j++) {
                q[j] = (byte) clamp(d > 0 ? Math.round((values[b * 32 + j] - m) / d) : 0, 0, 15);
            }
            for (int j = 0; j < 16; j++) {
                out.put((byte) (q[j] | q[j + 16] << 4));
            }
        }
        return out.array();
    }

    /**
     * Q5_0 (symmetric: per 32, d = largest |x| / 15, q = round(x / d) + 16 in 0..31) or with {@code withMin} Q5_1
     * (d = (max - min) / 31, m = min, q = round((x - m) / d)); the fifth bits of element j go to bit j of the 32-bit qh.
     */
    static byte[] q5(float[] values, boolean withMin) {
        ByteBuffer out = ByteBuffer.allocate(values.length / 32 * (withMin ? 24 : 22)).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < values.length / 32; b++) {
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                float x = values[b * 32 + j];
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
                amax = Math.max(amax, Math.abs(x));
            }
            short dh = GgufConverter.toHalf(withMin ? (hi - lo) / 31 : amax / 15);
            short mh = GgufConverter.toHalf(withMin ? lo : 0);
            float d = half(dh);
            float m = withMin ? half(mh) : 0;
            int centre = withMin ? 0 : 16;
            int[] q = new int[32];
            int qh = 0;
            for (int j = 0; j < 32; j++) {
                q[j] = d > 0 ? clamp(Math.round((values[b * 32 + j] - m) / d) + centre, 0, 31) : centre;
                qh |= (q[j] >> 4) << j;
            }
            out.putShort(dh);
            if (withMin) {
                out.putShort(mh);
            }
            out.putInt(qh);
            for (int j = 0; j < 16; j++) {
                out.put((byte) ((q[j] & 15) | (q[j + 16] & 15) << 4));
            }
        }
        return out.array();
    }

    /**
     * Q4_K (and with {@code fiveBits} Q5_K): per super-block of 256, sub-block j of 32 gets step (max - min) / 15
     * (31 for Q5_K) and offset -min (min taken at most 0), both as 6-bit multiples of the super-block's d = max step / 63
     * and dmin = max offset / 63; value = d * sc_j * q - dmin * m_j.
     */
    static byte[] kQuant(float[] values, boolean fiveBits) {
        int levels = fiveBits ? 31 : 15;
        int blockBytes = fiveBits ? 176 : 144;
        ByteBuffer out = ByteBuffer.allocate(values.length / 256 * blockBytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < values.length / 256; s++) {
            int base = s * 256;
            float[] step = new float[8];
            float[] offset = new float[8];
            float maxStep = 0;
            float maxOffset = 0;
            for (int j = 0; j < 8; j++) {
                float lo = 0;
                float hi = -Float.MAX_VALUE;
                for (int t = 0; t < 32; t++) {
                    lo = Math.min(lo, values[base + j * 32 + t]);
                    hi = Math.max(hi, values[base + j * 32 + t]);
                }
                step[j] = Math.max(0, hi - lo) / levels;
                offset[j] = -lo;
                maxStep = Math.max(maxStep, step[j]);
                maxOffset = Math.max(maxOffset, offset[j]);
            }
            short dh = GgufConverter.toHalf(maxStep / 63);
            short mh = GgufConverter.toHalf(maxOffset / 63);
            float d = half(dh);
            float dmin = half(mh);
            int[] sc = new int[8];
            int[] mn = new int[8];
            for (int j = 0; j < 8; j++) {
                sc[j] = d > 0 ? clamp(Math.round(step[j] / d), 0, 63) : 0;
                mn[j] = dmin > 0 ? clamp(Math.round(offset[j] / dmin), 0, 63) : 0;
            }
            byte[] packed = new byte[12];
            for (int j = 0; j < 4; j++) {
                packed[j] = (byte) (sc[j] | (sc[j + 4] >> 4) << 6);
                packed[j + 4] = (byte) (mn[j] | (mn[j + 4] >> 4) << 6);
                packed[j + 8] = (byte) ((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
            }
            int[] q = new int[256];
            for (int j = 0; j < 8; j++) {
                float unit = d * sc[j];
                float shift = dmin * mn[j];
                for (int t = 0; t < 32; t++) {
                    q[j * 32 + t] = unit > 0 ? clamp(Math.round((values[base + j * 32 + t] + shift) / unit), 0, levels) : 0;
                }
            }
            out.putShort(dh).putShort(mh).put(packed);
            if (fiveBits) {
                // bit 2c of qh[l] is the fifth bit of element 64c + l, bit 2c + 1 that of element 64c + 32 + l
                for (int l = 0; l < 32; l++) {
                    int h = 0;
                    for (int c = 0; c < 4; c++) {
                        h |= (q[64 * c + l] >> 4) << (2 * c) | (q[64 * c + 32 + l] >> 4) << (2 * c + 1);
                    }
                    out.put((byte) h);
                }
            }
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    out.put((byte) ((q[64 * c + l] & 15) | (q[64 * c + 32 + l] & 15) << 4));
                }
            }
        }
        return out.array();
    }

    /**
     * Q6_K: per super-block of 256, 16 sub-blocks of 16 with int8 scales sc (multiples of d = max |step| / 127, step =
     * max |x| / 31 of the sub-block), q = round(x / (d * sc)) in -32..31 stored plus 32 as 4 low bits (ql) and 2 high
     * bits (qh); value = d * sc * (q - 32). Within each half of 128, element e belongs to sub-block
     * (e % 32) / 16 + 2 * (e / 32).
     */
    static byte[] q6_K(float[] values) {
        ByteBuffer out = ByteBuffer.allocate(values.length / 256 * 210).order(ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < values.length / 256; s++) {
            int base = s * 256;
            float[] step = new float[16];
            float maxStep = 0;
            for (int k = 0; k < 16; k++) {
                float amax = 0;
                for (int e = 0; e < 16; e++) {
                    amax = Math.max(amax, Math.abs(values[base + element(k, e)]));
                }
                step[k] = amax / 31;
                maxStep = Math.max(maxStep, step[k]);
            }
            short dh = GgufConverter.toHalf(maxStep / 127);
            float d = half(dh);
            byte[] sc = new byte[16];
            int[] q = new int[256];
            for (int k = 0; k < 16; k++) {
                sc[k] = (byte) (d > 0 ? clamp(Math.round(step[k] / d), -128, 127) : 0);
                float unit = d * sc[k];
                for (int e = 0; e < 16; e++) {
                    int i = element(k, e);
                    q[i] = (unit != 0 ? clamp(Math.round(values[base + i] / unit), -32, 31) : 0) + 32;
                }
            }
            byte[] ql = new byte[128];
            byte[] qh = new byte[64];
            for (int half = 0; half < 2; half++) {
                for (int l = 0; l < 32; l++) {
                    int y = half * 128 + l;
                    int q1 = q[y];
                    int q2 = q[y + 32];
                    int q3 = q[y + 64];
                    int q4 = q[y + 96];
                    ql[half * 64 + l] = (byte) ((q1 & 15) | (q3 & 15) << 4);
                    ql[half * 64 + l + 32] = (byte) ((q2 & 15) | (q4 & 15) << 4);
                    qh[half * 32 + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
                }
            }
            out.put(ql).put(qh).put(sc).putShort(dh);
        }
        return out.array();
    }

    /** Element e (0..15) of Q6_K sub-block k (0..15) within its super-block. */
    private static int element(int k, int e) {
        int half = k / 8;
        int is = k % 8; // sub-block within the half: (l / 16) + 2 * (quarter)
        return half * 128 + (is / 2) * 32 + (is % 2) * 16 + e;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static float half(short h) {
        return dev.assistant.core.safetensors.FloatConversion.halfToFloat(h);
    }
}
