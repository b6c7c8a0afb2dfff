package dev.assistant.quant;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Runs in the surefire execution that adds jdk.incubator.vector, where best() must be the vector kernel. */
class VectorInt8KernelTest extends KernelContract {
    @Override
    Int8Kernel kernel() {
        Int8Kernel k = Int8Kernels.best();
        assertThat(k.name()).as("this test JVM must run with " + Int8Kernels.VECTOR_FLAG).startsWith("vector-");
        return k;
    }

    @Test
    void agreesWithTheScalarKernelOnLargeRandomMatrices() {
        Random r = new Random(31);
        for (QuantScheme scheme : List.of(QuantScheme.PER_CHANNEL, QuantScheme.GROUP_32, QuantScheme.GROUP_128)) {
            for (int[] shape : new int[][] {{96, 576}, {35, 1536}, {17, 2051}}) {
                int rows = shape[0];
                int cols = shape[1];
                QuantizedMatrix w = new Quantizer(scheme).quantize(Matrices.weightsWithOutliers(r, rows, cols), rows,
                        cols);
                for (int m : new int[] {1, 12}) {
                    float[] x = Matrices.gaussian(r, m * cols, 1f);
                    float[] vector = new float[m * rows];
                    float[] scalar = new float[m * rows];
                    kernel().matmul(w, x, m, vector);
                    Int8Kernels.scalar().matmul(w, x, m, scalar);
                    double[] asDouble = new double[scalar.length];
                    for (int i = 0; i < scalar.length; i++) {
                        asDouble[i] = scalar[i];
                    }
                    assertClose(vector, asDouble, Matrices.errorBudget(w, x, m), scheme + " " + rows + "x" + cols);
                }
            }
        }
    }
}
