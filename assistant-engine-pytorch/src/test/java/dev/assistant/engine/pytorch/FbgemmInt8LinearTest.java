package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.assistant.quant.Int8Kernels;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import dev.assistant.quant.Quantizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fbgemm INT8 layer against the exact (scalar Java) product of the same quantized weights. */
class FbgemmInt8LinearTest {
    private static NDManager manager;

    @BeforeAll
    static void start() {
        DjlRuntime.engine();
        manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @ParameterizedTest
    @CsvSource({"1, 64, 64", "1, 576, 1536", "3, 1152, 576", "8, 96, 80", "37, 200, 130"})
    void matchesTheExactProductOfTheQuantizedWeights(int rows, int out, int in) {
        Random random = new Random(out * 31L + in);
        float[] w = gaussian(random, out * in, 0.05f);
        QuantizedMatrix q = new Quantizer(QuantScheme.perChannel()).quantize(w, out, in);
        float[] bias = gaussian(random, out, 0.1f);
        float[] x = gaussian(random, rows * in, 1f);
        float[] expected = new float[rows * out];
        Int8Kernels.scalar().matmul(q, x, rows, bias, expected);
        for (boolean reduceRange : new boolean[]{true, false}) {
            double[] errors = new double[2];
            for (boolean residual : new boolean[]{false, true}) {
                try (NDManager scope = manager.newSubManager()) {
                    FbgemmInt8Linear layer = FbgemmInt8Linear.pack(scope, q, bias, reduceRange, residual,
                            new FbgemmInt8Linear.StagingBuffer());
                    NDArray y = layer.apply(scope.create(x, new Shape(rows, in)));
                    assertThat(y.getShape()).isEqualTo(new Shape(rows, out));
                    float[] actual = y.toFloatArray();
                    // activations are quantized per call (8 or 7 bits): compare as vectors, not bit for bit
                    assertThat(FloatVectors.cosine(expected, actual)).as("reduceRange=%s residual=%s", reduceRange, residual)
                            .isGreaterThan(reduceRange ? 0.999 : 0.9998);
                    errors[residual ? 1 : 0] = relativeError(expected, actual);
                    assertThat(errors[residual ? 1 : 0]).isLessThan(reduceRange ? 0.03 : 0.015);
                }
            }
            // the residual row is there to make the activations finer: it must cut the error several times over
            assertThat(errors[1]).as("reduceRange=%s", reduceRange).isLessThan(errors[0] / 8);
        }
    }

    @Test
    void layersKeepTheirOwnWeights() {
        Random random = new Random(7);
        int out = 48;
        int in = 64;
        QuantizedMatrix a = new Quantizer(QuantScheme.perChannel()).quantize(gaussian(random, out * in, 0.05f), out, in);
        QuantizedMatrix b = new Quantizer(QuantScheme.perChannel()).quantize(gaussian(random, out * in, 0.05f), out, in);
        float[] x = gaussian(random, in, 1f);
        float[] expected = new float[out];
        Int8Kernels.scalar().matmul(a, x, 1, expected);
        try (NDManager scope = manager.newSubManager()) {
            float[] bias = gaussian(random, out, 1f);
            Int8Kernels.scalar().matmul(a, x, 1, bias, expected);
            FbgemmInt8Linear.StagingBuffer staging = new FbgemmInt8Linear.StagingBuffer(); // reused, as in a load
            FbgemmInt8Linear first = FbgemmInt8Linear.pack(scope, a, bias, false, true, staging);
            FbgemmInt8Linear.pack(scope, b, null, false, true, staging);
            // the Java-side arrays and staging tensors of packing are garbage now: the module must not borrow them
            for (int i = 0; i < 3; i++) {
                System.gc();
                try (NDManager churn = scope.newSubManager()) {
                    churn.create(gaussian(random, out * in, 100f));
                }
            }
            NDArray y = first.apply(scope.create(x, new Shape(1, in)));
            for (int i = 0; i < 3; i++) {
                scope.create(gaussian(random, out * in, 100f)); // the result must not borrow freed memory either
            }
            float[] actual = y.toFloatArray();
            assertThat(FloatVectors.cosine(expected, actual)).isGreaterThan(0.9998);
        }
    }

    /** Another request's rows in the same batch must not change a row's result: not by a single bit. */
    @Test
    void eachRowsResultIsIndependentOfTheOtherRowsInTheBatch() {
        Random random = new Random(11);
        int out = 300;
        int in = 256;
        QuantizedMatrix q = new Quantizer(QuantScheme.perChannel()).quantize(gaussian(random, out * in, 0.05f), out, in);
        float[] batch = gaussian(random, 6 * in, 1f);
        for (int k = 0; k < in; k++) {
            batch[2 * in + k] *= 1000; // an outlier row: with one quantization range for the batch it would dominate
            batch[4 * in + k] *= 1e-3f;
        }
        float[] bias = gaussian(random, out, 0.1f);
        for (boolean residual : new boolean[]{false, true}) {
            try (NDManager scope = manager.newSubManager()) {
                FbgemmInt8Linear layer = FbgemmInt8Linear.pack(scope, q, bias, false, residual,
                        new FbgemmInt8Linear.StagingBuffer());
                float[] together = layer.apply(scope.create(batch, new Shape(6, in))).toFloatArray();
                for (int r = 0; r < 6; r++) {
                    float[] row = java.util.Arrays.copyOfRange(batch, r * in, (r + 1) * in);
                    float[] alone = layer.apply(scope.create(row, new Shape(1, in))).toFloatArray();
                    assertThat(java.util.Arrays.copyOfRange(together, r * out, (r + 1) * out))
                            .as("row %d, residual=%s", r, residual).containsExactly(alone);
                }
            }
        }
    }

    @Test
    void theShippedModuleRunsHereAndABrokenOneIsReportedNotThrown() {
        assertThat(Int8LinearModule.unusableBecause()).isEmpty();
        assertThat(Int8LinearModule.probe("not a TorchScript archive".getBytes(StandardCharsets.US_ASCII)))
                .hasValueSatisfying(reason -> assertThat(reason).isNotBlank());
    }

    @Test
    void perGroupMatricesAreRefused() {
        QuantizedMatrix q = new Quantizer(QuantScheme.perGroup(32)).quantize(new float[4 * 64], 4, 64);
        assertThatThrownBy(() -> FbgemmInt8Linear.pack(manager, q, null, true, true, new FbgemmInt8Linear.StagingBuffer()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("per-channel");
    }

    @Test
    void vnniIsReadFromTheCpuFlags(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path withVnni = Files.writeString(dir.resolve("a"), "processor : 0\nflags\t\t: fpu avx2 avx512f avx512_vnni\n");
        Path without = Files.writeString(dir.resolve("b"), "processor : 0\nflags\t\t: fpu avx2 avx512f avx512vl\n");
        assertThat(Int8LinearModule.cpuHasVnni(withVnni)).isTrue();
        assertThat(Int8LinearModule.cpuHasVnni(without)).isFalse();
        assertThat(Int8LinearModule.cpuHasVnni(dir.resolve("missing"))).isFalse();
    }

    private static float[] gaussian(Random random, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian() * scale;
        }
        return a;
    }

    private static double relativeError(float[] expected, float[] actual) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += Math.pow(expected[i] - actual[i], 2);
            norm += Math.pow(expected[i], 2);
        }
        return Math.sqrt(diff / norm);
    }
}
