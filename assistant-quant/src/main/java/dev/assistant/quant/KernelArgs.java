package dev.assistant.quant;

import java.util.Objects;

/** Argument checks shared by the kernels, so every implementation rejects the same calls. */
final class KernelArgs {
    private KernelArgs() {
    }

    static void check(QuantizedMatrix w, float[] x, int m, float[] bias, float[] y, int rowStart, int rowEnd) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        if (m < 0) {
            throw new IllegalArgumentException("m must be >= 0, was " + m);
        }
        long needX = (long) m * w.cols();
        if (x.length < needX) {
            throw new IllegalArgumentException("x has " + x.length + " floats, needs m*K = " + needX);
        }
        long needY = (long) m * w.rows();
        if (y.length < needY) {
            throw new IllegalArgumentException("y has " + y.length + " floats, needs m*N = " + needY);
        }
        if (needX > Integer.MAX_VALUE || needY > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("m * K or m * N exceeds the array index range");
        }
        if (bias != null && bias.length != w.rows()) {
            throw new IllegalArgumentException("bias has " + bias.length + " floats, needs N = " + w.rows());
        }
        if (rowStart < 0 || rowEnd > w.rows() || rowStart > rowEnd) {
            throw new IllegalArgumentException("row range [" + rowStart + ", " + rowEnd + ") outside [0, "
                    + w.rows() + ")");
        }
    }
}
