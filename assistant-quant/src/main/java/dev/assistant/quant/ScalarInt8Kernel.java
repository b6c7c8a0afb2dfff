package dev.assistant.quant;

/**
 * The portable kernel: plain Java loops, used when the Vector API module is not in the JVM. Roughly 5-10x slower
 * than {@link VectorInt8Kernel} on a decode step, but always available and the reference the vector kernel is tested
 * against.
 */
public final class ScalarInt8Kernel implements Int8Kernel {
    static final ScalarInt8Kernel INSTANCE = new ScalarInt8Kernel();

    private ScalarInt8Kernel() {
    }

    /** The shared instance (stateless). */
    public static ScalarInt8Kernel instance() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void matmulRows(QuantizedMatrix w, float[] x, int m, float[] bias, float[] y, int rowStart, int rowEnd) {
        KernelArgs.check(w, x, m, bias, y, rowStart, rowEnd);
        int rows = w.rows();
        int cols = w.cols();
        byte[] q = w.rawValues();
        float[] s = w.rawScales();
        int groupSize = w.groupSize();
        int groups = w.groupsPerRow();
        // Weight row outermost: it stays in cache while every activation row uses it.
        for (int n = rowStart; n < rowEnd; n++) {
            int wBase = n * cols;
            int sBase = n * groups;
            float b = bias == null ? 0f : bias[n];
            for (int i = 0; i < m; i++) {
                int xBase = i * cols;
                float total = 0f;
                for (int g = 0; g < groups; g++) {
                    int k0 = g * groupSize;
                    int k1 = Math.min(k0 + groupSize, cols);
                    // Four independent sums hide the add latency; their order is fixed, so results are reproducible.
                    float a0 = 0f;
                    float a1 = 0f;
                    float a2 = 0f;
                    float a3 = 0f;
                    int k = k0;
                    for (; k + 4 <= k1; k += 4) {
                        a0 += x[xBase + k] * q[wBase + k];
                        a1 += x[xBase + k + 1] * q[wBase + k + 1];
                        a2 += x[xBase + k + 2] * q[wBase + k + 2];
                        a3 += x[xBase + k + 3] * q[wBase + k + 3];
                    }
                    for (; k < k1; k++) {
                        a0 += x[xBase + k] * q[wBase + k];
                    }
                    total += ((a0 + a1) + (a2 + a3)) * s[sBase + g];
                }
                y[i * rows + n] = total + b;
            }
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
