package dev.assistant.quant;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.nio.FloatBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * Quantizes float weight matrices to {@link QuantizedMatrix} with one {@link QuantScheme}. Stateless and thread-safe;
 * the result depends only on the input values (Java float arithmetic is deterministic), so quantizing the same
 * weights twice, on any JVM, gives identical bytes.
 *
 * <p>Per group: the float32 scale {@code s = max|w| / 127}; per channel (one scale per row), the scale between that and
 * 70% of it that reproduces the row with the least squared error ({@link ScaleSearch}). Then {@code q = round(w / s)}
 * with the division done in double and ties rounded away from zero, clamped to {@code [-127, 127]}. An all-zero row or
 * group (or one whose largest weight is so small that {@code s} underflows to 0) gets {@code s = 0} and {@code q = 0}:
 * no NaN. Every weight within {@code 127 s} is reproduced within {@code s / 2}; larger ones (a row's few largest, when
 * the search shrank its scale) become {@code +-127 s}.
 *
 * <p>Input layouts: {@code [N, K]} (PyTorch {@code nn.Linear.weight}) with {@link #quantize}; {@code [K, N]} (GPT-2's
 * {@code Conv1D}, which stores {@code [in, out]}) with {@link #quantizeTransposed}. Both produce the {@code [N, K]}
 * layout. Buffers are read with absolute gets from their current position, so a read-only memory-mapped
 * {@link FloatBuffer} works and its position is left unchanged.
 */
public final class Quantizer {
    /** Rows gathered at once when transposing, so a {@code [K, N]} source is read in contiguous runs. */
    private static final int TRANSPOSE_BLOCK = 16;

    private final QuantScheme scheme;

    public Quantizer(QuantScheme scheme) {
        this.scheme = Objects.requireNonNull(scheme, "scheme");
    }

    public QuantScheme scheme() {
        return scheme;
    }

    /**
     * Quantizes {@code weights}, row-major {@code [rows, cols]} ({@code [N, K]}).
     *
     * @throws IllegalArgumentException when the array length is not {@code rows * cols}
     * @throws AssistantException {@link ErrorCode#MODEL_INVALID} when a weight is NaN or infinite
     */
    public QuantizedMatrix quantize(float[] weights, int rows, int cols) {
        Objects.requireNonNull(weights, "weights");
        checkShape(weights.length, rows, cols);
        return quantize(FloatBuffer.wrap(weights), rows, cols);
    }

    /**
     * Quantizes {@code rows * cols} floats of {@code weights} from its position, row-major {@code [N, K]}.
     *
     * @throws IllegalArgumentException when fewer than {@code rows * cols} floats remain
     * @throws AssistantException {@link ErrorCode#MODEL_INVALID} when a weight is NaN or infinite
     */
    public QuantizedMatrix quantize(FloatBuffer weights, int rows, int cols) {
        Objects.requireNonNull(weights, "weights");
        checkShape(weights.remaining(), rows, cols);
        Target t = new Target(rows, cols);
        int base = weights.position();
        int blocks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        IntStream indexes = IntStream.range(0, blocks);
        if ((long) rows * cols >= PARALLEL_THRESHOLD) {
            indexes = indexes.parallel(); // rows are independent: the result is the same bytes in any order
        }
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        indexes.forEach(b -> {
            float[] row = new float[cols];
            ScaleSearch search = new ScaleSearch(cols);
            try {
                for (int n = b * ROWS_PER_TASK, end = Math.min(rows, n + ROWS_PER_TASK); n < end; n++) {
                    weights.get(base + n * cols, row, 0, cols); // absolute get: safe from several threads
                    t.quantizeRow(n, row, search);
                }
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e); // rethrown as is below, not wrapped by the fork-join pool
            }
        });
        if (failure.get() != null) {
            throw failure.get();
        }
        return t.result();
    }

    /**
     * Quantizes {@code weights} stored row-major {@code [inFeatures, outFeatures]} ({@code [K, N]}), producing the
     * {@code [N, K]} layout: identical to quantizing the transposed matrix with {@link #quantize}.
     */
    public QuantizedMatrix quantizeTransposed(float[] weights, int inFeatures, int outFeatures) {
        Objects.requireNonNull(weights, "weights");
        checkShape(weights.length, inFeatures, outFeatures);
        return quantizeTransposed(FloatBuffer.wrap(weights), inFeatures, outFeatures);
    }

    /** Buffer form of {@link #quantizeTransposed(float[], int, int)}, reading from the buffer's position. */
    public QuantizedMatrix quantizeTransposed(FloatBuffer weights, int inFeatures, int outFeatures) {
        Objects.requireNonNull(weights, "weights");
        checkShape(weights.remaining(), inFeatures, outFeatures);
        int rows = outFeatures;
        int cols = inFeatures;
        Target t = new Target(rows, cols);
        int base = weights.position();
        float[][] block = new float[TRANSPOSE_BLOCK][cols];
        float[] run = new float[TRANSPOSE_BLOCK];
        ScaleSearch search = new ScaleSearch(cols);
        for (int n0 = 0; n0 < rows; n0 += TRANSPOSE_BLOCK) {
            int width = Math.min(TRANSPOSE_BLOCK, rows - n0);
            for (int k = 0; k < cols; k++) {
                weights.get(base + k * outFeatures + n0, run, 0, width);
                for (int j = 0; j < width; j++) {
                    block[j][k] = run[j];
                }
            }
            for (int j = 0; j < width; j++) {
                t.quantizeRow(n0 + j, block[j], search);
            }
        }
        return t.result();
    }

    private static void checkShape(int available, int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("shape must be positive, was [" + rows + ", " + cols + "]");
        }
        long need = (long) rows * cols;
        if (need > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("[" + rows + ", " + cols + "] has more than 2^31 elements");
        }
        if (available < need) {
            throw new IllegalArgumentException("need " + need + " floats for [" + rows + ", " + cols + "], have "
                    + available);
        }
    }

    /** Rows quantized per task when a large matrix is spread over the common fork-join pool. */
    private static final int ROWS_PER_TASK = 64;
    /** Matrices of at least this many weights are quantized in parallel (loading a 1B model takes tens of seconds). */
    private static final long PARALLEL_THRESHOLD = 1L << 20;

    /**
     * The int8 value of {@code w / scale}: rounded half away from zero, clamped to [-127, 127]; 0 when scale is 0.
     * Exposed so file writers and tests can reproduce the rounding rule exactly.
     */
    public static byte quantizeValue(float w, float scale) {
        if (scale == 0f) {
            return 0;
        }
        double r = (double) w / scale;
        double rounded = Math.floor(Math.abs(r) + 0.5);
        if (rounded > 127) {
            rounded = 127;
        }
        return (byte) (r < 0 ? -rounded : rounded);
    }

    private static AssistantException nonFinite(int n, float[] row, int k0, int k1) {
        int k = k0;
        while (k < k1 - 1 && Float.isFinite(row[k])) {
            k++;
        }
        return new AssistantException(ErrorCode.MODEL_INVALID, "Weight [" + n + ", " + k + "] is " + row[k]
                + "; a weight matrix to quantize must be finite", "non_finite_weight", null, -1);
    }

    /** The largest scale a group whose largest magnitude is {@code maxAbs} may get: it maps that weight to 127. */
    public static float scaleFor(float maxAbs) {
        return maxAbs / 127f;
    }

    /** The arrays being filled, one row at a time. */
    private final class Target {
        final int rows;
        final int cols;
        final int groupSize;
        final int groups;
        final byte[] values;
        final float[] scales;

        Target(int rows, int cols) {
            this.rows = rows;
            this.cols = cols;
            this.groupSize = scheme.effectiveGroupSize(cols);
            this.groups = scheme.groupsPerRow(cols);
            this.values = new byte[rows * cols];
            this.scales = new float[rows * groups];
        }

        void quantizeRow(int n, float[] row, ScaleSearch search) {
            for (int g = 0; g < groups; g++) {
                int k0 = g * groupSize;
                int k1 = Math.min(k0 + groupSize, cols);
                // No branch in this loop (loading a 1B model quantizes a billion weights): a NaN or an infinity
                // makes the maximum non-finite, and is then located for the message.
                float maxAbs = 0f;
                for (int k = k0; k < k1; k++) {
                    maxAbs = Math.max(maxAbs, Math.abs(row[k]));
                }
                if (!Float.isFinite(maxAbs)) {
                    throw nonFinite(n, row, k0, k1);
                }
                float scale = scheme.isPerChannel() ? search.bestScale(row, k0, k1, maxAbs) : scaleFor(maxAbs);
                scales[n * groups + g] = scale;
                int base = n * cols;
                for (int k = k0; k < k1; k++) {
                    values[base + k] = quantizeValue(row[k], scale);
                }
            }
        }

        QuantizedMatrix result() {
            return QuantizedMatrix.trusted(rows, cols, scheme, values, scales);
        }
    }
}
