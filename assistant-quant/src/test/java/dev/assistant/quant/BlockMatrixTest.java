package dev.assistant.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockMatrixTest {

    @Test
    void q4WeightsComeBackWithinHalfAStepAndEachGroupsLargestExactly() {
        Random r = new Random(3);
        int rows = 7;
        int cols = 96;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        BlockMatrix q = BlockMatrix.quantize(BlockFormat.Q4_0, w, rows, cols);
        assertThat(q.sizeInBytes()).isEqualTo(rows * 3 * 18L);
        float[] back = q.dequantize();
        for (int row = 0; row < rows; row++) {
            for (int g = 0; g < 3; g++) {
                float largest = 0;
                int at = -1;
                for (int j = 0; j < 32; j++) {
                    int i = row * cols + g * 32 + j;
                    if (Math.abs(w[i]) > Math.abs(largest)) {
                        largest = w[i];
                        at = i;
                    }
                }
                // the grid is (q - 8) d for q - 8 in [-8, 7] with -8 d = the largest weight: one step on the clipped
                // side of zero (values beyond 7 |d| with the other sign), half a step elsewhere
                float step = Math.abs(largest) / 8;
                // the scale is stored as float16: the largest weight comes back within its rounding (2^-11 relative)
                assertThat(back[at]).isCloseTo(largest, org.assertj.core.data.Offset.offset(Math.abs(largest) / 1024));
                for (int j = 0; j < 32; j++) {
                    int i = row * cols + g * 32 + j;
                    float bound = Math.abs(w[i]) > 7 * step && Math.signum(w[i]) != Math.signum(largest) ? step : step / 2;
                    assertThat(Math.abs(back[i] - w[i])).isLessThanOrEqualTo(bound * 1.002f + 1e-7f);
                }
            }
        }
    }

    @Test
    void q8WeightsComeBackWithinHalfAStep() {
        Random r = new Random(4);
        float[] w = new float[5 * 64];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian() * 10;
        }
        float[] back = BlockMatrix.quantize(BlockFormat.Q8_0, w, 5, 64).dequantize();
        for (int g = 0; g < w.length / 32; g++) {
            float max = 0;
            for (int j = 0; j < 32; j++) {
                max = Math.max(max, Math.abs(w[g * 32 + j]));
            }
            for (int j = 0; j < 32; j++) {
                // half a step, plus the float16 rounding of the scale (2^-11 of the largest weight)
                assertThat(Math.abs(back[g * 32 + j] - w[g * 32 + j])).isLessThanOrEqualTo(max / 127 * 0.5f + max / 2048);
            }
        }
    }

    @Test
    void aGroupOfZerosHasAZeroScaleAndComesBackAsZeros() {
        float[] w = new float[64];
        w[40] = 1.5f;
        for (BlockFormat f : new BlockFormat[]{BlockFormat.Q4_0, BlockFormat.Q8_0}) { // the formats quantized to
            BlockMatrix q = BlockMatrix.quantize(f, w, 1, 64);
            byte[] b = q.blocksArray();
            assertThat(b[0]).isZero();
            assertThat(b[1] & 0x7F).isZero(); // d = +-0 (Q4_0's d = largest / -8 is -0 there, as in ggml)
            if (f == BlockFormat.Q4_0) {
                assertThat(b[2]).isEqualTo((byte) 0x88); // both nibbles at the zero point 8
            }
            float[] back = q.dequantize();
            for (int i = 0; i < 32; i++) {
                assertThat(back[i]).isZero();
            }
            assertThat(back[40]).isCloseTo(1.5f, org.assertj.core.data.Offset.offset(1.5f / 1024)); // f16 scale
        }
    }

    @Test
    void aRowThatIsNotAMultipleOf32IsPaddedWithZeroWeights() {
        float[] w = new float[2 * 40];
        for (int i = 0; i < w.length; i++) {
            w[i] = i % 7 - 3;
        }
        BlockMatrix q = BlockMatrix.quantize(BlockFormat.Q4_0, w, 2, 40);
        assertThat(q.sizeInBytes()).isEqualTo(2 * 2 * 18L);
        // the padded elements (40..63) of each row's second block sit at the zero point
        byte[] b = q.blocksArray();
        int second = 18;
        for (int j = 8; j < 16; j++) {
            assertThat(b[second + 2 + j] & 0x0F).isEqualTo(8);
        }
        for (int j = 0; j < 16; j++) {
            assertThat((b[second + 2 + j] & 0xFF) >>> 4).isEqualTo(8);
        }
        float[] back = q.dequantize();
        assertThat(back).hasSize(80);
        for (int i = 0; i < back.length; i++) {
            assertThat(Math.abs(back[i] - w[i])).isLessThanOrEqualTo(3f / 8 * 1.01f); // one step at most
        }
    }

    @Test
    void storedBytesWrapBackToTheSameMatrix() {
        float[] w = new float[3 * 32];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(i);
        }
        BlockMatrix q = BlockMatrix.quantize(BlockFormat.Q4_0, w, 3, 32);
        BlockMatrix again = BlockMatrix.wrap(BlockFormat.Q4_0, 3, 32, q.blocksArray().clone());
        assertThat(again.dequantize()).containsExactly(q.dequantize());
    }

    @Test
    void wrongSizesAndNonFiniteScalesAreRefused() {
        assertThatThrownBy(() -> BlockMatrix.wrap(BlockFormat.Q4_0, 2, 32, new byte[35]))
                .isInstanceOf(AssistantException.class)
                .satisfies(e -> assertThat(((AssistantException) e).code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("needs 36 bytes");
        byte[] inf = new byte[18];
        inf[1] = 0x7C; // f16 +infinity
        assertThatThrownBy(() -> BlockMatrix.wrap(BlockFormat.Q4_0, 1, 32, inf))
                .isInstanceOf(AssistantException.class).hasMessageContaining("non-finite scale");
        assertThatThrownBy(() -> BlockMatrix.quantize(BlockFormat.Q8_0, new float[]{Float.NaN}, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not finite");
        assertThatThrownBy(() -> BlockMatrix.quantize(BlockFormat.Q8_0, new float[31], 1, 32))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rowsJoinAndReorderByWholeBlocks() {
        float[] a = new float[2 * 32];
        float[] b = new float[32];
        for (int i = 0; i < a.length; i++) {
            a[i] = i;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = -i;
        }
        BlockMatrix joined = BlockMatrix.concatRows(BlockMatrix.quantize(BlockFormat.Q4_0, a, 2, 32),
                BlockMatrix.quantize(BlockFormat.Q4_0, b, 1, 32));
        assertThat(joined.rows()).isEqualTo(3);
        BlockMatrix reordered = joined.reorderRows(new int[]{2, 0, 1});
        float[] x = joined.dequantize();
        float[] y = reordered.dequantize();
        for (int j = 0; j < 32; j++) {
            assertThat(y[j]).isEqualTo(x[64 + j]);
            assertThat(y[32 + j]).isEqualTo(x[j]);
        }
    }

    @Test
    void halfConversionRoundsToNearestEvenAndKeepsSubnormals() {
        assertThat(Half.fromFloat(1.0f)).isEqualTo((short) 0x3C00);
        assertThat(Half.fromFloat(-2.0f)).isEqualTo((short) 0xC000);
        assertThat(Half.fromFloat(65504f)).isEqualTo((short) 0x7BFF);
        assertThat(Half.fromFloat(1e6f)).isEqualTo((short) 0x7C00);
        assertThat(Half.fromFloat(0x1p-24f)).isEqualTo((short) 0x0001);
        assertThat(Half.fromFloat(1.0f + 0x1p-11f)).isEqualTo((short) 0x3C00); // tie: to even
        assertThat(Half.fromFloat(1.0f + 3 * 0x1p-11f)).isEqualTo((short) 0x3C02); // tie: to even (up)
        for (int h = 0; h < 0x7C00; h++) {
            float f = Half.toFloat((short) h);
            assertThat(Half.fromFloat(f)).isEqualTo((short) h);
            assertThat(Half.fromFloat(-f)).isEqualTo((short) (h | 0x8000));
        }
        assertThat(Half.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
    }
}
