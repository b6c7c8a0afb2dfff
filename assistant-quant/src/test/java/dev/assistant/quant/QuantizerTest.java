package dev.assistant.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantizerTest {
    private static final List<QuantScheme> ALL = List.of(QuantScheme.PER_CHANNEL, QuantScheme.GROUP_32,
            QuantScheme.GROUP_64, QuantScheme.GROUP_128);

    /** Within {@code 127 s} every weight is within {@code s / 2}; beyond it (a searched per-channel scale) it is clipped. */
    @Test
    void everyWeightIsReproducedWithinHalfItsScaleOrClippedTo127() {
        Random r = new Random(1);
        int rows = 23;
        int cols = 203; // not a multiple of any group size: the last group of each row is short
        float[] w = Matrices.weightsWithOutliers(r, rows, cols);
        for (QuantScheme scheme : ALL) {
            QuantizedMatrix q = new Quantizer(scheme).quantize(w, rows, cols);
            assertThat(q.scales()).hasSize(rows * scheme.groupsPerRow(cols));
            int clipped = 0;
            for (int n = 0; n < rows; n++) {
                for (int k = 0; k < cols; k++) {
                    float s = q.scale(n, k);
                    float weight = w[n * cols + k];
                    assertThat(q.value(n, k)).isBetween((byte) -127, (byte) 127);
                    if (Math.abs(weight) > 127.5 * s) {
                        clipped++;
                        assertThat(Math.abs(q.value(n, k))).as("%s [%d,%d]", scheme, n, k).isEqualTo(127);
                        assertThat(Math.signum(q.value(n, k))).isEqualTo(Math.signum(weight));
                    } else {
                        float err = Math.abs(weight - q.dequantize(n, k));
                        assertThat((double) err).as("%s [%d,%d]", scheme, n, k)
                                .isLessThanOrEqualTo(s * 0.5 * (1 + 1e-6));
                    }
                }
            }
            if (!scheme.isPerChannel()) {
                assertThat(clipped).as("groups keep s = max|w| / 127: nothing clipped").isZero();
            }
        }
    }

    @Test
    void largestMagnitudeOfEachGroupMapsTo127() {
        float[] w = {0.5f, -2f, 1f, 0.25f};
        QuantizedMatrix q = new Quantizer(QuantScheme.GROUP_32).quantize(w, 1, 4);
        assertThat(q.scales()).containsExactly(2f / 127f);
        assertThat(q.values()).containsExactly(32, -127, 64, 16); // 0.5 * 63.5 = 31.75 -> 32
    }

    @Test
    void smallerGroupsGiveSmallerErrorOnWeightsWithOutliers() {
        Random r = new Random(2);
        int rows = 64;
        int cols = 512;
        float[] w = Matrices.weightsWithOutliers(r, rows, cols);
        double channel = meanSquaredError(w, new Quantizer(QuantScheme.PER_CHANNEL).quantize(w, rows, cols));
        double g128 = meanSquaredError(w, new Quantizer(QuantScheme.GROUP_128).quantize(w, rows, cols));
        double g32 = meanSquaredError(w, new Quantizer(QuantScheme.GROUP_32).quantize(w, rows, cols));
        assertThat(g128).isLessThan(channel);
        assertThat(g32).isLessThan(g128);
    }

    private static double meanSquaredError(float[] w, QuantizedMatrix q) {
        float[] d = q.dequantize();
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            s += (w[i] - d[i]) * (double) (w[i] - d[i]);
        }
        return s / w.length;
    }

    @Test
    void roundingIsHalfAwayFromZeroAndClamped() {
        assertThat(Quantizer.quantizeValue(2.5f, 1f)).isEqualTo((byte) 3);
        assertThat(Quantizer.quantizeValue(-2.5f, 1f)).isEqualTo((byte) -3);
        assertThat(Quantizer.quantizeValue(2.4999998f, 1f)).isEqualTo((byte) 2);
        assertThat(Quantizer.quantizeValue(0.49999997f, 1f)).isEqualTo((byte) 0);
        assertThat(Quantizer.quantizeValue(-0.5f, 1f)).isEqualTo((byte) -1);
        assertThat(Quantizer.quantizeValue(500f, 1f)).isEqualTo((byte) 127);
        assertThat(Quantizer.quantizeValue(-500f, 1f)).isEqualTo((byte) -127);
        assertThat(Quantizer.quantizeValue(3f, 0f)).isEqualTo((byte) 0);
    }

    @Test
    void zeroRowsAndGroupsGetZeroScaleAndNoNaN() {
        int rows = 3;
        int cols = 70;
        float[] w = new float[rows * cols];
        for (int k = 0; k < cols; k++) {
            w[cols + k] = k < 32 ? 0f : k * 0.01f; // row 1: first g32 group all zero
        }
        w[2 * cols + 5] = Float.MIN_VALUE; // row 2: scale underflows to zero
        for (QuantScheme scheme : ALL) {
            QuantizedMatrix q = new Quantizer(scheme).quantize(w, rows, cols);
            for (float s : q.scales()) {
                assertThat(s).isNotNaN().isGreaterThanOrEqualTo(0f);
            }
            assertThat(q.scale(0, 0)).isZero();
            assertThat(q.dequantize()).doesNotContain(Float.NaN);
            float[] x = Matrices.gaussian(new Random(3), cols, 1f);
            float[] y = new float[rows];
            Int8Kernels.scalar().matmul(q, x, 1, y);
            assertThat(y[0]).isZero();
            assertThat(y[2]).isZero();
            assertThat(y[1]).isNotNaN();
        }
    }

    @Test
    void nonFiniteWeightsAreRejectedAsModelInvalid() {
        float[] w = {1f, Float.NaN, 2f, 3f};
        assertThatThrownBy(() -> new Quantizer(QuantScheme.GROUP_32).quantize(w, 2, 2))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    assertThat(e.getMessage()).contains("[0, 1]");
                });
        float[] inf = {1f, 2f, Float.NEGATIVE_INFINITY, 3f};
        assertThatThrownBy(() -> new Quantizer(QuantScheme.PER_CHANNEL).quantize(inf, 2, 2))
                .isInstanceOf(AssistantException.class);
    }

    @Test
    void shapeMismatchIsAnArgumentError() {
        Quantizer quantizer = new Quantizer(QuantScheme.PER_CHANNEL);
        assertThatThrownBy(() -> quantizer.quantize(new float[5], 2, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> quantizer.quantize(new float[6], 0, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void transposedInputGivesTheSameMatrixAsTheTransposedArray() {
        Random r = new Random(4);
        int in = 77;
        int out = 35; // not a multiple of the transpose block
        float[] kn = Matrices.gaussian(r, in * out, 0.1f); // [in, out], GPT-2 Conv1D layout
        float[] nk = new float[in * out];
        for (int k = 0; k < in; k++) {
            for (int n = 0; n < out; n++) {
                nk[n * in + k] = kn[k * out + n];
            }
        }
        for (QuantScheme scheme : ALL) {
            Quantizer quantizer = new Quantizer(scheme);
            QuantizedMatrix a = quantizer.quantize(nk, out, in);
            QuantizedMatrix b = quantizer.quantizeTransposed(kn, in, out);
            assertThat(b.rows()).isEqualTo(out);
            assertThat(b.cols()).isEqualTo(in);
            assertThat(b.values()).isEqualTo(a.values());
            assertThat(b.scales()).isEqualTo(a.scales());
        }
    }

    @Test
    void readOnlyDirectBufferFromItsPositionMatchesTheArray() {
        Random r = new Random(5);
        int rows = 9;
        int cols = 100;
        float[] w = Matrices.gaussian(r, rows * cols, 0.05f);
        ByteBuffer bytes = ByteBuffer.allocateDirect((rows * cols + 3) * 4).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer fb = bytes.asFloatBuffer();
        fb.put(new float[] {7f, 7f, 7f});
        fb.put(w);
        fb.position(3);
        FloatBuffer view = fb.asReadOnlyBuffer();
        for (QuantScheme scheme : ALL) {
            Quantizer quantizer = new Quantizer(scheme);
            QuantizedMatrix fromArray = quantizer.quantize(w, rows, cols);
            QuantizedMatrix fromBuffer = quantizer.quantize(view, rows, cols);
            assertThat(fromBuffer.values()).isEqualTo(fromArray.values());
            assertThat(fromBuffer.scales()).isEqualTo(fromArray.scales());
            assertThat(view.position()).isEqualTo(3);
        }
    }

    @Test
    void quantizingTwiceGivesIdenticalBytes() {
        float[] w = Matrices.weightsWithOutliers(new Random(6), 16, 96);
        Quantizer quantizer = new Quantizer(QuantScheme.GROUP_64);
        QuantizedMatrix a = quantizer.quantize(w, 16, 96);
        QuantizedMatrix b = quantizer.quantize(w.clone(), 16, 96);
        assertThat(a.values()).isEqualTo(b.values());
        assertThat(a.scales()).isEqualTo(b.scales());
    }

    /** Large matrices are quantized on several threads: same bytes as row by row, and bad weights still named. */
    @Test
    void largeMatricesQuantizedInParallelMatchRowByRowAndReportTheBadWeight() {
        int rows = 1500;
        int cols = 1024; // 1.5M weights: above the parallel threshold
        float[] w = Matrices.weightsWithOutliers(new Random(9), rows, cols);
        for (QuantScheme scheme : List.of(QuantScheme.PER_CHANNEL, QuantScheme.GROUP_64)) {
            Quantizer quantizer = new Quantizer(scheme);
            QuantizedMatrix whole = quantizer.quantize(w, rows, cols);
            int groups = scheme.groupsPerRow(cols);
            for (int n : new int[]{0, 63, 64, 777, rows - 1}) {
                float[] one = java.util.Arrays.copyOfRange(w, n * cols, (n + 1) * cols);
                QuantizedMatrix row = quantizer.quantize(one, 1, cols);
                assertThat(java.util.Arrays.copyOfRange(whole.values(), n * cols, (n + 1) * cols))
                        .as("%s row %d", scheme, n).isEqualTo(row.values());
                assertThat(java.util.Arrays.copyOfRange(whole.scales(), n * groups, (n + 1) * groups))
                        .isEqualTo(row.scales());
            }
        }
        Quantizer quantizer = new Quantizer(QuantScheme.GROUP_64);
        w[1234 * cols + 5] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> quantizer.quantize(w, rows, cols))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    assertThat(e.getMessage()).contains("[1234, 5]");
                });
    }
}
