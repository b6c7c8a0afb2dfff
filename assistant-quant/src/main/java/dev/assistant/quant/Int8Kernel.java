package dev.assistant.quant;

/**
 * Multiplies activations by an INT8 weight matrix: {@code y[i][n] = bias[n] + sum_k x[i][k] * w(n, k)} for
 * {@code i < m}, where {@code w(n, k)} is the dequantized weight {@link QuantizedMatrix#dequantize(int, int)}.
 * This is {@code torch.nn.functional.linear(x, W, bias)} with {@code W} in {@code [N, K]} layout.
 *
 * <p>Arrays are row-major: {@code x} holds {@code m} rows of {@code K = w.cols()} floats, {@code y} receives {@code m}
 * rows of {@code N = w.rows()} floats (it is overwritten, not accumulated into); both may be longer than needed.
 * {@code m = 1} is a decode step, larger {@code m} a prefill.
 *
 * <p>Implementations are thread-safe and keep no state between calls. Different implementations sum in different
 * orders, so their results agree to float rounding, not bit for bit; one implementation given the same inputs always
 * returns the same bits. Bad arguments (short arrays, a bias of the wrong length, a bad row range) are programming
 * errors and raise {@link IllegalArgumentException} before anything is written.
 */
public interface Int8Kernel {

    /** A short description for logs, for example {@code vector-512} or {@code scalar}. */
    String name();

    /** {@code y = x * W^T}, no bias. */
    default void matmul(QuantizedMatrix w, float[] x, int m, float[] y) {
        matmul(w, x, m, null, y);
    }

    /** {@code y = x * W^T + bias}; {@code bias} may be null, else it has {@code N} entries. */
    default void matmul(QuantizedMatrix w, float[] x, int m, float[] bias, float[] y) {
        matmulRows(w, x, m, bias, y, 0, w.rows());
    }

    /**
     * Computes only outputs {@code n} in {@code [rowStart, rowEnd)} (weight rows) for all {@code m} activation rows,
     * leaving the other entries of {@code y} untouched. This is the unit a multi-threaded kernel hands to each thread.
     */
    void matmulRows(QuantizedMatrix w, float[] x, int m, float[] bias, float[] y, int rowStart, int rowEnd);
}
