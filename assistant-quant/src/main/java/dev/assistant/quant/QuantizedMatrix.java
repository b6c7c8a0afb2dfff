package dev.assistant.quant;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * An immutable INT8 weight matrix of {@code rows} outputs ({@code N}) by {@code cols} inputs ({@code K}), in the layout
 * of PyTorch's {@code nn.Linear.weight}: values row-major {@code [N, K]}, one byte per weight, and float32 scales
 * row-major {@code [N, groupsPerRow]} (see {@link QuantScheme}). Weight {@code (n, k)} is
 * {@code values[n*K + k] * scales[n*G + k/groupSize]}.
 *
 * <p>Build one with {@link Quantizer}, or from arrays read back from a file with {@link #of} (copies) or
 * {@link #wrap} (takes ownership, for large tensors). Both validate the shape and the values, so a matrix built from
 * the arrays of another one computes bit-identical results with the same kernel.
 *
 * <p>Read the data for saving with {@link #valuesBuffer()} and {@link #scalesBuffer()}: read-only views, no copy.
 */
public final class QuantizedMatrix {
    private final int rows;
    private final int cols;
    private final QuantScheme scheme;
    private final int groupSize;
    private final int groupsPerRow;
    private final byte[] values;
    private final float[] scales;

    private QuantizedMatrix(int rows, int cols, QuantScheme scheme, byte[] values, float[] scales) {
        this.rows = rows;
        this.cols = cols;
        this.scheme = scheme;
        this.groupSize = scheme.effectiveGroupSize(cols);
        this.groupsPerRow = scheme.groupsPerRow(cols);
        this.values = values;
        this.scales = scales;
    }

    /**
     * A matrix over copies of the given arrays.
     *
     * @param values {@code rows * cols} bytes, row-major {@code [N, K]}, each in {@code [-127, 127]}
     * @param scales {@code rows * scheme.groupsPerRow(cols)} finite, non-negative floats
     * @throws AssistantException {@link ErrorCode#MODEL_INVALID} when the shape or a value is inconsistent
     */
    public static QuantizedMatrix of(int rows, int cols, QuantScheme scheme, byte[] values, float[] scales) {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(scales, "scales");
        return wrap(rows, cols, scheme, values.clone(), scales.clone());
    }

    /**
     * Like {@link #of} but without copying: the matrix takes ownership of the arrays and the caller must not modify
     * them afterwards. Meant for large tensors just read from a file.
     *
     * @throws AssistantException {@link ErrorCode#MODEL_INVALID} when the shape or a value is inconsistent
     */
    public static QuantizedMatrix wrap(int rows, int cols, QuantScheme scheme, byte[] values, float[] scales) {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(scales, "scales");
        if (rows <= 0 || cols <= 0) {
            throw invalid("shape must be positive, was [" + rows + ", " + cols + "]");
        }
        long count = (long) rows * cols;
        if (count > Integer.MAX_VALUE - 8) {
            throw invalid("[" + rows + ", " + cols + "] has more than 2^31 elements; split the tensor");
        }
        if (values.length != count) {
            throw invalid("expected " + count + " int8 values for [" + rows + ", " + cols + "], got " + values.length);
        }
        long scaleCount = (long) rows * scheme.groupsPerRow(cols);
        if (scales.length != scaleCount) {
            throw invalid("expected " + scaleCount + " scales for [" + rows + ", " + cols + "] with " + scheme
                    + ", got " + scales.length);
        }
        for (int i = 0; i < scales.length; i++) {
            float s = scales[i];
            // !(s >= 0) also rejects NaN.
            if (!(s >= 0f) || Float.isInfinite(s)) {
                throw invalid("scale " + i + " is " + s + "; scales must be finite and non-negative");
            }
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] == Byte.MIN_VALUE) {
                throw invalid("value " + i + " is -128; symmetric int8 uses [-127, 127]");
            }
        }
        return new QuantizedMatrix(rows, cols, scheme, values, scales);
    }

    /**
     * Stacks matrices with the same K and scheme into one {@code [sum N, K]} matrix, for example q, k and v (or gate and
     * up) into a single layer: one kernel call per token instead of three, and a matrix big enough to split across
     * threads. Output rows come in argument order. The outputs equal the separate calls' to float rounding, and bit for
     * bit when every part but the last has a multiple of 4 rows (as model layers do: kernels work in blocks of 4 rows).
     *
     * @throws IllegalArgumentException when the parts differ in K or scheme, or there are none
     */
    public static QuantizedMatrix concatRows(QuantizedMatrix... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("nothing to concatenate");
        }
        int cols = parts[0].cols;
        QuantScheme scheme = parts[0].scheme;
        long rows = 0;
        for (QuantizedMatrix p : parts) {
            if (p.cols != cols || !p.scheme.equals(scheme)) {
                throw new IllegalArgumentException("cannot stack " + p + " under " + parts[0]
                        + ": K and scheme must match");
            }
            rows += p.rows;
        }
        if (rows * cols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("stacked matrix would exceed 2^31 elements");
        }
        byte[] values = new byte[(int) rows * cols];
        float[] scales = new float[(int) rows * parts[0].groupsPerRow];
        int v = 0;
        int sc = 0;
        for (QuantizedMatrix p : parts) {
            System.arraycopy(p.values, 0, values, v, p.values.length);
            System.arraycopy(p.scales, 0, scales, sc, p.scales.length);
            v += p.values.length;
            sc += p.scales.length;
        }
        return new QuantizedMatrix((int) rows, cols, scheme, values, scales);
    }

    /** Used by {@link Quantizer}, whose arrays are fresh and valid by construction. */
    static QuantizedMatrix trusted(int rows, int cols, QuantScheme scheme, byte[] values, float[] scales) {
        return new QuantizedMatrix(rows, cols, scheme, values, scales);
    }

    private static AssistantException invalid(String detail) {
        return new AssistantException(ErrorCode.MODEL_INVALID, "Invalid INT8 weight tensor: " + detail,
                "invalid_quantized_tensor", null, -1);
    }

    /** {@code N}, the number of outputs. */
    public int rows() {
        return rows;
    }

    /** {@code K}, the number of inputs. */
    public int cols() {
        return cols;
    }

    public QuantScheme scheme() {
        return scheme;
    }

    /** The inputs one scale covers ({@code cols} when per channel); the last group of a row may be shorter. */
    public int groupSize() {
        return groupSize;
    }

    /** Scales per row. */
    public int groupsPerRow() {
        return groupsPerRow;
    }

    /** A read-only view of the {@code [N, K]} int8 values (position 0, native byte order irrelevant). */
    public ByteBuffer valuesBuffer() {
        return ByteBuffer.wrap(values).asReadOnlyBuffer();
    }

    /** A read-only view of the {@code [N, groupsPerRow]} float32 scales. */
    public FloatBuffer scalesBuffer() {
        return FloatBuffer.wrap(scales).asReadOnlyBuffer();
    }

    /** A copy of the int8 values. */
    public byte[] values() {
        return values.clone();
    }

    /** A copy of the scales. */
    public float[] scales() {
        return scales.clone();
    }

    /** The int8 value at {@code (row, col)}. */
    public byte value(int row, int col) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(col, cols);
        return values[row * cols + col];
    }

    /** The scale covering {@code (row, col)}. */
    public float scale(int row, int col) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(col, cols);
        return scales[row * groupsPerRow + col / groupSize];
    }

    /** The weight at {@code (row, col)} as the kernels see it: {@code value * scale}. */
    public float dequantize(int row, int col) {
        return value(row, col) * scale(row, col);
    }

    /**
     * Writes row {@code row} as floats into {@code dst[offset .. offset + cols)}. For an embedding table
     * {@code [vocab, hidden]} this is the embedding lookup of token {@code row}; the same matrix serves a tied LM
     * head through the kernels.
     */
    public void dequantizeRow(int row, float[] dst, int offset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(offset, cols, dst.length);
        int base = row * cols;
        int sBase = row * groupsPerRow;
        for (int k = 0; k < cols; k++) {
            dst[offset + k] = values[base + k] * scales[sBase + k / groupSize];
        }
    }

    /** All weights as floats, row-major {@code [N, K]} (for tests and for export; {@code 4*N*K} bytes). */
    public float[] dequantize() {
        float[] out = new float[values.length];
        for (int n = 0; n < rows; n++) {
            for (int k = 0; k < cols; k++) {
                out[n * cols + k] = values[n * cols + k] * scales[n * groupsPerRow + k / groupSize];
            }
        }
        return out;
    }

    /** Bytes of values plus scales (what a decode step streams from memory). */
    public long sizeInBytes() {
        return values.length + 4L * scales.length;
    }

    /** Direct access for the kernels in this package; never exposed. */
    byte[] rawValues() {
        return values;
    }

    float[] rawScales() {
        return scales;
    }

    @Override
    public String toString() {
        return "QuantizedMatrix[" + rows + "x" + cols + ", " + scheme + "]";
    }
}
