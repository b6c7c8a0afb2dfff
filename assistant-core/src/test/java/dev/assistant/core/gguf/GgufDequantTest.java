package dev.assistant.core.gguf;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Each block format decoded from a block built by hand from the format's packing rules, against values computed
 * here from the same rules (all exactly representable, so equality is exact).
 */
class GgufDequantTest {
    private static final short HALF_ONE = 0x3C00;
    private static final short HALF_HALF = 0x3800;
    private static final short HALF_TWO = 0x4000;
    private static final short HALF_MINUS_ONE = (short) 0xBC00;
    private static final short HALF_QUARTER = 0x3400;

    @Test
    void f16AndBf16() {
        ByteBuffer f16 = le(8).putShort(HALF_ONE).putShort(HALF_MINUS_ONE).putShort(HALF_QUARTER).putShort((short) 0)
                .flip();
        assertArrayEquals(new float[]{1f, -1f, 0.25f, 0f}, GgufDequant.toFloats(GgmlType.F16, f16, 4));
        ByteBuffer bf16 = le(4).putShort((short) 0x3F80).putShort((short) 0xC040).flip(); // 1.0, -3.0
        assertArrayEquals(new float[]{1f, -3f}, GgufDequant.toFloats(GgmlType.BF16, bf16, 2));
    }

    @Test
    void q8_0() {
        ByteBuffer b = le(34).putShort(HALF_HALF);
        for (int j = 0; j < 32; j++) {
            b.put((byte) (j - 16));
        }
        float[] out = GgufDequant.toFloats(GgmlType.Q8_0, b.flip(), 32);
        for (int j = 0; j < 32; j++) {
            assertEquals(0.5f * (j - 16), out[j], "element " + j);
        }
    }

    @Test
    void q4_0LowNibblesFirstThenHigh() {
        ByteBuffer b = le(18).putShort(HALF_TWO);
        for (int j = 0; j < 16; j++) {
            b.put((byte) (j | (15 - j) << 4));
        }
        float[] out = GgufDequant.toFloats(GgmlType.Q4_0, b.flip(), 32);
        for (int j = 0; j < 16; j++) {
            assertEquals(2f * (j - 8), out[j], "element " + j);
            assertEquals(2f * (7 - j), out[j + 16], "element " + (j + 16));
        }
        assertEquals(-16f, out[0]);
        assertEquals(14f, out[16]);
    }

    @Test
    void q4_1AddsTheMin() {
        ByteBuffer b = le(20).putShort(HALF_HALF).putShort(HALF_MINUS_ONE);
        for (int j = 0; j < 16; j++) {
            b.put((byte) (j | (15 - j) << 4));
        }
        float[] out = GgufDequant.toFloats(GgmlType.Q4_1, b.flip(), 32);
        for (int j = 0; j < 16; j++) {
            assertEquals(0.5f * j - 1f, out[j]);
            assertEquals(0.5f * (15 - j) - 1f, out[j + 16]);
        }
    }

    /** Q5_0: the fifth bit of element j is bit j of qh (little-endian); values centred on 16. Q5_1 adds the min. */
    @Test
    void q5_0AndQ5_1TakeTheFifthBitFromQh() {
        int qh = 0xA5C3_0F01; // an irregular pattern: each element's bit differs from its neighbours'
        for (GgmlType type : new GgmlType[]{GgmlType.Q5_0, GgmlType.Q5_1}) {
            boolean withMin = type == GgmlType.Q5_1;
            ByteBuffer b = le(type.typeSize()).putShort(HALF_HALF);
            if (withMin) {
                b.putShort(HALF_MINUS_ONE);
            }
            b.putInt(qh);
            for (int j = 0; j < 16; j++) {
                b.put((byte) (j | (15 - j) << 4));
            }
            float[] out = GgufDequant.toFloats(type, b.flip(), 32);
            for (int j = 0; j < 16; j++) {
                int low = j + 16 * (qh >>> j & 1);
                int high = 15 - j + 16 * (qh >>> (j + 16) & 1);
                float expectedLow = withMin ? 0.5f * low - 1f : 0.5f * (low - 16);
                float expectedHigh = withMin ? 0.5f * high - 1f : 0.5f * (high - 16);
                assertEquals(expectedLow, out[j], type + " element " + j);
                assertEquals(expectedHigh, out[j + 16], type + " element " + (j + 16));
            }
        }
    }

    private static final int[] SCALES = {1, 2, 3, 4, 17, 33, 49, 63};
    private static final int[] MINS = {0, 1, 2, 3, 20, 40, 50, 60};

    /** The 12-byte packing of eight 6-bit scales and mins of Q4_K/Q5_K. */
    private static byte[] packScales() {
        byte[] q = new byte[12];
        for (int j = 0; j < 4; j++) {
            q[j] = (byte) SCALES[j];
            q[j + 4] = (byte) MINS[j];
        }
        for (int j = 4; j < 8; j++) {
            q[j + 4] = (byte) ((SCALES[j] & 0xF) | (MINS[j] & 0xF) << 4);
            q[j - 4] |= (byte) ((SCALES[j] >> 4) << 6);
            q[j] |= (byte) ((MINS[j] >> 4) << 6);
        }
        return q;
    }

    @Test
    void kScalesUnpackToTheSixBitValues() {
        byte[] q = packScales();
        for (int j = 0; j < 8; j++) {
            assertEquals(SCALES[j], GgufDequant.scale(q, j), "scale " + j);
            assertEquals(MINS[j], GgufDequant.min(q, j), "min " + j);
        }
    }

    @Test
    void q4_K() {
        // element l of sub-block s (32 each) has quant (l + s) & 15
        byte[] qs = new byte[128];
        for (int chunk = 0; chunk < 4; chunk++) {
            for (int l = 0; l < 32; l++) {
                int lo = (l + 2 * chunk) & 15;
                int hi = (l + 2 * chunk + 1) & 15;
                qs[chunk * 32 + l] = (byte) (lo | hi << 4);
            }
        }
        ByteBuffer b = le(144).putShort(HALF_ONE).putShort(HALF_HALF).put(packScales()).put(qs).flip();
        float[] out = GgufDequant.toFloats(GgmlType.Q4_K, b, 256);
        for (int s = 0; s < 8; s++) {
            for (int l = 0; l < 32; l++) {
                assertEquals(SCALES[s] * ((l + s) & 15) - 0.5f * MINS[s], out[s * 32 + l], "sub-block " + s + " element " + l);
            }
        }
        assertEquals(33 * 5 - 20f, out[5 * 32]);
    }

    @Test
    void q5_K() {
        // element l of sub-block s has the 5-bit quant (3l + s) & 31; bit 4 goes to qh[l] bit s
        byte[] qs = new byte[128];
        byte[] qh = new byte[32];
        for (int s = 0; s < 8; s++) {
            for (int l = 0; l < 32; l++) {
                int q = (3 * l + s) & 31;
                int chunk = s / 2;
                qs[chunk * 32 + l] |= (byte) ((q & 15) << (s % 2 == 0 ? 0 : 4));
                qh[l] |= (byte) ((q >> 4) << s);
            }
        }
        ByteBuffer b = le(176).putShort(HALF_HALF).putShort(HALF_ONE).put(packScales()).put(qh).put(qs).flip();
        float[] out = GgufDequant.toFloats(GgmlType.Q5_K, b, 256);
        for (int s = 0; s < 8; s++) {
            for (int l = 0; l < 32; l++) {
                assertEquals(0.5f * SCALES[s] * ((3 * l + s) & 31) - MINS[s], out[s * 32 + l], "sub-block " + s + " element " + l);
            }
        }
    }

    @Test
    void q6_K() {
        // element i has the 6-bit quant (7i) & 63; scale k (one per 16 elements in the order below) is k - 8
        byte[] ql = new byte[128];
        byte[] qh = new byte[64];
        byte[] sc = new byte[16];
        for (int k = 0; k < 16; k++) {
            sc[k] = (byte) (k - 8);
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            int half = i / 128;
            int g = (i % 128) / 32;
            int l = i % 32;
            int q = (7 * i) & 63;
            int qlIndex = half * 64 + l + (g % 2 == 1 ? 32 : 0);
            ql[qlIndex] |= (byte) ((q & 15) << (g >= 2 ? 4 : 0));
            qh[half * 32 + l] |= (byte) ((q >> 4) << (2 * g));
            int scale = sc[half * 8 + l / 16 + 2 * g];
            expected[i] = 0.25f * scale * (q - 32);
        }
        ByteBuffer b = le(210).put(ql).put(qh).put(sc).putShort(HALF_QUARTER).flip();
        assertArrayEquals(expected, GgufDequant.toFloats(GgmlType.Q6_K, b, 256));
        assertEquals(0.25f * -8 * (0 - 32), expected[0]);
    }

    @Test
    void severalBlocksAdvance() {
        ByteBuffer b = le(68);
        for (int block = 0; block < 2; block++) {
            b.putShort(block == 0 ? HALF_ONE : HALF_TWO);
            for (int j = 0; j < 32; j++) {
                b.put((byte) 1);
            }
        }
        float[] out = GgufDequant.toFloats(GgmlType.Q8_0, b.flip(), 64);
        assertEquals(1f, out[31]);
        assertEquals(2f, out[32]);
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
