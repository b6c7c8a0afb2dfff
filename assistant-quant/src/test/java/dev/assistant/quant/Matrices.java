package dev.assistant.quant;

import java.util.Random;

/** Seeded test data and a double-precision reference product. */
final class Matrices {
    private Matrices() {
    }

    static float[] gaussian(Random r, int count, float sigma) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = (float) (r.nextGaussian() * sigma);
        }
        return a;
    }

    /** LLM-like weights: small Gaussian values with a few large outliers. */
    static float[] weightsWithOutliers(Random r, int rows, int cols) {
        float[] w = gaussian(r, rows * cols, 0.02f);
        for (int i = 0; i < w.length / 200; i++) {
            w[r.nextInt(w.length)] = (float) (r.nextGaussian() * 0.5);
        }
        return w;
    }

    /** y[i][n] = bias[n] + sum_k x[i][k] * deq(n, k), in double. */
    static double[] reference(QuantizedMatrix w, float[] x, int m, float[] bias) {
        float[] deq = w.dequantize();
        int rows = w.rows();
        int cols = w.cols();
        double[] y = new double[m * rows];
        for (int i = 0; i < m; i++) {
            for (int n = 0; n < rows; n++) {
                double s = bias == null ? 0 : bias[n];
                for (int k = 0; k < cols; k++) {
                    s += (double) x[i * cols + k] * deq[n * cols + k];
                }
                y[i * rows + n] = s;
            }
        }
        return y;
    }

    /** A bound for float summation error: a small multiple of eps * sum |x * w|. */
    static double[] errorBudget(QuantizedMatrix w, float[] x, int m) {
        float[] deq = w.dequantize();
        int rows = w.rows();
        int cols = w.cols();
        double[] b = new double[m * rows];
        for (int i = 0; i < m; i++) {
            for (int n = 0; n < rows; n++) {
                double s = 0;
                for (int k = 0; k < cols; k++) {
                    s += Math.abs((double) x[i * cols + k] * deq[n * cols + k]);
                }
                b[i * rows + n] = 1e-5 * s + 1e-6;
            }
        }
        return b;
    }
}
