package dev.assistant.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link Int8Kernel} must have, checked against a double-precision reference. */
abstract class KernelContract {
    private static final List<QuantScheme> ALL = List.of(QuantScheme.PER_CHANNEL, QuantScheme.GROUP_32,
            QuantScheme.GROUP_64, QuantScheme.GROUP_128);

    abstract Int8Kernel kernel();

    /** {rows N, cols K}: odd sizes, K not a multiple of the vector length or the group, and K beyond one K block. */
    private static final int[][] SHAPES = {{1, 1}, {7, 37}, {13, 100}, {8, 576}, {9, 64}, {21, 1100}, {4, 31}};
    private static final int[] MS = {1, 2, 3, 4, 5, 9, 70};

    @Test
    void matchesTheDoubleReferenceOnOddShapes() {
        Random r = new Random(21);
        for (QuantScheme scheme : ALL) {
            for (int[] shape : SHAPES) {
                int rows = shape[0];
                int cols = shape[1];
                QuantizedMatrix w = new Quantizer(scheme).quantize(Matrices.weightsWithOutliers(r, rows, cols), rows,
                        cols);
                for (int m : MS) {
                    float[] x = Matrices.gaussian(r, m * cols, 1f);
                    float[] bias = r.nextBoolean() ? Matrices.gaussian(r, rows, 1f) : null;
                    float[] y = new float[m * rows];
                    Arrays.fill(y, Float.NaN); // overwritten, not accumulated into
                    kernel().matmul(w, x, m, bias, y);
                    assertClose(y, Matrices.reference(w, x, m, bias), Matrices.errorBudget(w, x, m),
                            scheme + " " + rows + "x" + cols + " m=" + m);
                }
            }
        }
    }

    @Test
    void prefillTilesMatchTheReferenceOnAModelShapedMatrix() {
        Random r = new Random(22);
        int rows = 64;
        int cols = 576;
        int m = 131; // two m blocks plus a remainder that is not a multiple of 4
        for (QuantScheme scheme : List.of(QuantScheme.PER_CHANNEL, QuantScheme.GROUP_128)) {
            QuantizedMatrix w = new Quantizer(scheme).quantize(Matrices.weightsWithOutliers(r, rows, cols), rows, cols);
            float[] x = Matrices.gaussian(r, m * cols, 1f);
            float[] y = new float[m * rows];
            kernel().matmul(w, x, m, y);
            assertClose(y, Matrices.reference(w, x, m, null), Matrices.errorBudget(w, x, m), scheme.name());
        }
    }

    @Test
    void prefillOverSeveralKAndNBlocksMatchesTheReference() {
        Random r = new Random(25);
        int rows = 350; // more than one block of weight rows, and not a multiple of 4
        int cols = 2176; // three K blocks of 768, 768 and 640
        int m = 8;
        for (QuantScheme scheme : List.of(QuantScheme.PER_CHANNEL, QuantScheme.GROUP_32)) {
            QuantizedMatrix w = new Quantizer(scheme).quantize(Matrices.weightsWithOutliers(r, rows, cols), rows, cols);
            float[] x = Matrices.gaussian(r, m * cols, 1f);
            float[] bias = Matrices.gaussian(r, rows, 1f);
            float[] y = new float[m * rows];
            kernel().matmul(w, x, m, bias, y);
            assertClose(y, Matrices.reference(w, x, m, bias), Matrices.errorBudget(w, x, m), scheme.name());
        }
    }

    @Test
    void rowRangeWritesOnlyThoseOutputs() {
        Random r = new Random(23);
        int rows = 19;
        int cols = 96;
        int m = 6;
        QuantizedMatrix w = new Quantizer(QuantScheme.GROUP_32).quantize(Matrices.gaussian(r, rows * cols, 0.1f),
                rows, cols);
        float[] x = Matrices.gaussian(r, m * cols, 1f);
        float[] full = new float[m * rows];
        kernel().matmul(w, x, m, full);
        float[] part = new float[m * rows];
        Arrays.fill(part, -7f);
        kernel().matmulRows(w, x, m, null, part, 5, 14);
        for (int i = 0; i < m; i++) {
            for (int n = 0; n < rows; n++) {
                float expected = n >= 5 && n < 14 ? full[i * rows + n] : -7f;
                assertThat(part[i * rows + n]).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-4f));
            }
        }
    }

    @Test
    void sameInputsGiveTheSameBits() {
        Random r = new Random(24);
        QuantizedMatrix w = new Quantizer(QuantScheme.GROUP_64).quantize(Matrices.gaussian(r, 40 * 300, 0.1f), 40,
                300);
        float[] x = Matrices.gaussian(r, 8 * 300, 1f);
        float[] a = new float[8 * 40];
        float[] b = new float[8 * 40];
        kernel().matmul(w, x, 8, a);
        kernel().matmul(w, x, 8, b);
        assertThat(b).isEqualTo(a);
    }

    @Test
    void badArgumentsAreRejectedBeforeWriting() {
        QuantizedMatrix w = QuantizedMatrix.of(2, 3, QuantScheme.PER_CHANNEL, new byte[6], new float[2]);
        float[] y = {5f, 5f, 5f, 5f};
        assertThatThrownBy(() -> kernel().matmul(w, new float[5], 2, y)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("x has 5");
        assertThatThrownBy(() -> kernel().matmul(w, new float[6], 2, new float[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("y has 3");
        assertThatThrownBy(() -> kernel().matmul(w, new float[3], 1, new float[3], y))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias");
        assertThatThrownBy(() -> kernel().matmulRows(w, new float[3], 1, null, y, 1, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row range");
        assertThat(y).containsOnly(5f);
        kernel().matmul(w, new float[0], 0, new float[0]); // m = 0 is a no-op
    }

    static void assertClose(float[] actual, double[] expected, double[] budget, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i])).as("%s at %d: %s vs %s", what, i, actual[i], expected[i])
                    .isLessThanOrEqualTo(budget[i]);
        }
    }
}
