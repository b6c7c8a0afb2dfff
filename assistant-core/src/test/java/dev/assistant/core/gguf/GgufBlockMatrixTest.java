package dev.assistant.core.gguf;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.BlockMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GGUF Q4_1 and Q4_K blocks kept as {@link BlockMatrix} (what the native engine computes): the values a matrix reads
 * back are exactly those of the GGUF reader's float32 conversion, shapes that are not whole blocks and non-finite
 * scales are refused, and conversion to Q8_0 (mixed joined matrices) stays within half an 8-bit step.
 */
class GgufBlockMatrixTest {
    private static float[] weights(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (rng.nextDouble() * 2 - 1 + 0.2);
        }
        return w;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_1", "Q4_K"})
    void aStoredMatrixReadsBackTheValuesTheGgufReaderGives(GgmlType type) {
        int rows = 3;
        int cols = 512;
        byte[] blocks = GgufBlockWriters.write(type, weights(rows * cols, 5));
        BlockMatrix m = BlockMatrix.wrap(BlockFormat.valueOf(type.name()), rows, cols, blocks);
        float[] reader = GgufDequant.toFloats(type, ByteBuffer.wrap(blocks), rows * cols);
        assertThat(m.dequantize()).containsExactly(reader);
        assertThat(m.format().ggmlType()).isEqualTo(type.id());
        // rows keep their bytes when reordered (llama.cpp's q/k permutation is undone this way)
        float[] swapped = m.reorderRows(new int[]{2, 0, 1}).dequantize();
        assertThat(java.util.Arrays.copyOfRange(swapped, 0, cols))
                .containsExactly(java.util.Arrays.copyOfRange(reader, 2 * cols, 3 * cols));
        // to Q8_0: within half a step of max |x| / 127 per group of 32, plus the float16 scale's rounding
        float[] q8 = m.convertTo(BlockFormat.Q8_0).dequantize();
        for (int g = 0; g < rows * cols / 32; g++) {
            float max = 0;
            for (int j = 0; j < 32; j++) {
                max = Math.max(max, Math.abs(reader[g * 32 + j]));
            }
            for (int j = 0; j < 32; j++) {
                assertThat(Math.abs(q8[g * 32 + j] - reader[g * 32 + j])).isLessThanOrEqualTo(max / 127 * 0.5f + max / 2048);
            }
        }
    }

    @Test
    void aQ4KRowThatIsNotWholeSuperBlocksIsRefused() {
        assertThat(BlockFormat.Q4_K.holds(256)).isTrue();
        assertThat(BlockFormat.Q4_K.holds(288)).isFalse();
        assertThatThrownBy(() -> BlockMatrix.wrap(BlockFormat.Q4_K, 1, 288, new byte[144 * 2]))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    assertThat(e.getMessage()).contains("Q4_K", "256");
                });
        assertThatThrownBy(() -> BlockMatrix.wrap(BlockFormat.Q4_K, 1, 256, new byte[143]))
                .isInstanceOf(AssistantException.class).hasMessageContaining("needs 144 bytes");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_1", "Q4_K"})
    void aNonFiniteOffsetScaleIsRefused(GgmlType type) {
        byte[] blocks = GgufBlockWriters.write(type, weights(256, 9));
        blocks[2] = 0;
        blocks[3] = (byte) 0x7c; // the second float16 (m or dmin) = +infinity
        assertThatThrownBy(() -> BlockMatrix.wrap(BlockFormat.valueOf(type.name()), 1, 256, blocks))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("non-finite scale");
    }

    @Test
    void onlyQ4_0AndQ8_0AreQuantizedTo() {
        assertThatThrownBy(() -> BlockMatrix.quantize(BlockFormat.Q4_K, new float[256], 1, 256))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_K");
    }
}
