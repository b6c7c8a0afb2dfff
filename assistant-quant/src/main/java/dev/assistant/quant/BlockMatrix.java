package dev.assistant.quant;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * An immutable [rows, cols] weight matrix in a group-32 block format ({@link BlockFormat}): each row is
 * {@code ceil(cols / 32)} ggml blocks, rows one after the other, exactly the bytes of a GGUF tensor of that type.
 * A row whose length is not a multiple of 32 ends in a block padded with zero weights (GGUF itself cannot store such a
 * row; the native engine multiplies it with zero-padded activations).
 *
 * <p>Built by {@link #quantize} (ggml's reference rounding, see there) or from stored bytes by {@link #wrap}.
 */
public final class BlockMatrix {
    private final BlockFormat format;
    private final int rows;
    private final int cols;
    private final byte[] blocks;

    private BlockMatrix(BlockFormat format, int rows, int cols, byte[] blocks) {
        this.format = format;
        this.rows = rows;
        this.cols = cols;
        this.blocks = blocks;
    }

    /**
     * Takes ownership of {@code blocks} (the caller must not change them afterwards).
     *
     * @throws AssistantException {@code MODEL_INVALID} when the byte count does not match the shape, or a scale is not
     *                            finite
     */
    public static BlockMatrix wrap(BlockFormat format, int rows, int cols, byte[] blocks) {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(blocks, "blocks");
        if (rows < 1 || cols < 1) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, format + " matrix must have positive shape, was ["
                    + rows + ", " + cols + "]");
        }
        if (blocks.length != format.bytes(rows, cols)) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, format + " matrix [" + rows + ", " + cols + "] needs "
                    + format.bytes(rows, cols) + " bytes, has " + blocks.length);
        }
        ByteBuffer b = ByteBuffer.wrap(blocks).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0; at < blocks.length; at += format.blockBytes()) {
            float d = Half.toFloat(b.getShort(at));
            if (!Float.isFinite(d)) {
                throw new AssistantException(ErrorCode.MODEL_INVALID, format + " matrix has a non-finite scale in block "
                        + at / format.blockBytes());
            }
        }
        return new BlockMatrix(format, rows, cols, blocks);
    }

    /**
     * Quantizes float32 [rows, cols] weights (row-major, read from {@code weights}' position) with ggml's reference
     * rounding, so a GGUF file written by llama.cpp's tools from the same float32 weights holds the same bytes:
     * <ul>
     *   <li>Q4_0: {@code d} = the group's value of largest magnitude (with its sign) / -8, {@code q = min(15,
     *       trunc(x / d + 8.5))}: the largest weight is represented exactly (as -8 d), the rest rounded to nearest.</li>
     *   <li>Q8_0: {@code d} = max |x| / 127, {@code q = rint(x / d)} (ties to even, as the numpy converters round; ggml's C rounds them away from zero).</li>
     * </ul>
     * A group of zeros gets {@code d = 0} and all quants at the zero point.
     *
     * @throws IllegalArgumentException when a weight is not finite or the buffer is too short
     */
    public static BlockMatrix quantize(BlockFormat format, FloatBuffer weights, int rows, int cols) {
        Objects.requireNonNull(format, "format");
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("shape must be positive, was [" + rows + ", " + cols + "]");
        }
        if (weights.remaining() < (long) rows * cols) {
            throw new IllegalArgumentException("[" + rows + ", " + cols + "] needs " + (long) rows * cols
                    + " floats, have " + weights.remaining());
        }
        long bytes = format.bytes(rows, cols);
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] is too large for one array");
        }
        byte[] out = new byte[(int) bytes];
        float[] group = new float[BlockFormat.GROUP];
        int blocksPerRow = BlockFormat.blocksPerRow(cols);
        int base = weights.position();
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < blocksPerRow; g++) {
                int n = Math.min(BlockFormat.GROUP, cols - g * BlockFormat.GROUP);
                java.util.Arrays.fill(group, 0f);
                for (int j = 0; j < n; j++) {
                    float v = weights.get(base + r * cols + g * BlockFormat.GROUP + j);
                    if (!Float.isFinite(v)) {
                        throw new IllegalArgumentException("weight [" + r + ", " + (g * BlockFormat.GROUP + j)
                                + "] is not finite: " + v);
                    }
                    group[j] = v;
                }
                int at = (r * blocksPerRow + g) * format.blockBytes();
                if (format == BlockFormat.Q4_0) {
                    quantizeQ4Block(group, out, at);
                } else {
                    quantizeQ8Block(group, out, at);
                }
            }
        }
        return new BlockMatrix(format, rows, cols, out);
    }

    public static BlockMatrix quantize(BlockFormat format, float[] weights, int rows, int cols) {
        return quantize(format, FloatBuffer.wrap(weights), rows, cols);
    }

    private static void quantizeQ4Block(float[] x, byte[] out, int at) {
        float max = 0;
        float amax = 0;
        for (float v : x) {
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0;
        putHalf(out, at, Half.fromFloat(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (int) (x[j] * id + 8.5f));
            int hi = Math.min(15, (int) (x[j + 16] * id + 8.5f));
            out[at + 2 + j] = (byte) (lo | hi << 4);
        }
    }

    private static void quantizeQ8Block(float[] x, byte[] out, int at) {
        float amax = 0;
        for (float v : x) {
            amax = Math.max(amax, Math.abs(v));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0;
        putHalf(out, at, Half.fromFloat(d));
        for (int j = 0; j < 32; j++) {
            out[at + 2 + j] = (byte) Math.rint(x[j] * id); // ties to even, as numpy rounds; within [-127, 127]
        }
    }

    private static void putHalf(byte[] out, int at, short h) {
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >>> 8);
    }

    /** The rows of {@code parts} (all of one format and column count) one after the other. */
    public static BlockMatrix concatRows(BlockMatrix... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("nothing to join");
        }
        int rows = 0;
        long bytes = 0;
        for (BlockMatrix p : parts) {
            if (p.format != parts[0].format || p.cols != parts[0].cols) {
                throw new IllegalArgumentException("joined matrices must share format and columns");
            }
            rows += p.rows;
            bytes += p.blocks.length;
        }
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("joined matrix is too large for one array");
        }
        byte[] out = new byte[(int) bytes];
        int at = 0;
        for (BlockMatrix p : parts) {
            System.arraycopy(p.blocks, 0, out, at, p.blocks.length);
            at += p.blocks.length;
        }
        return new BlockMatrix(parts[0].format, rows, parts[0].cols, out);
    }

    /** The matrix with its rows reordered: row {@code i} of the result is row {@code from[i]} of this one. */
    public BlockMatrix reorderRows(int[] from) {
        if (from.length != rows) {
            throw new IllegalArgumentException("need " + rows + " row indices, have " + from.length);
        }
        int rowBytes = BlockFormat.blocksPerRow(cols) * format.blockBytes();
        byte[] out = new byte[blocks.length];
        for (int i = 0; i < rows; i++) {
            if (from[i] < 0 || from[i] >= rows) {
                throw new IllegalArgumentException("row index " + from[i] + " outside [0, " + rows + ")");
            }
            System.arraycopy(blocks, from[i] * rowBytes, out, i * rowBytes, rowBytes);
        }
        return new BlockMatrix(format, rows, cols, out);
    }

    /** The weights as float32 [rows, cols]. */
    public float[] dequantize() {
        float[] out = new float[rows * cols];
        int blocksPerRow = BlockFormat.blocksPerRow(cols);
        ByteBuffer b = ByteBuffer.wrap(blocks).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int g = c / BlockFormat.GROUP;
                int t = c % BlockFormat.GROUP;
                int at = (r * blocksPerRow + g) * format.blockBytes();
                float d = Half.toFloat(b.getShort(at));
                int q;
                if (format == BlockFormat.Q4_0) {
                    int byteValue = blocks[at + 2 + (t & 15)] & 0xFF;
                    q = (t < 16 ? byteValue & 15 : byteValue >>> 4) - 8;
                } else {
                    q = blocks[at + 2 + t];
                }
                out[r * cols + c] = q * d;
            }
        }
        return out;
    }

    public BlockFormat format() {
        return format;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The blocks, read-only (for saving and for the engines, which copy them). */
    public ByteBuffer blocksBuffer() {
        return ByteBuffer.wrap(blocks).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The blocks themselves, for an engine to copy (must not be changed). */
    public byte[] blocksArray() {
        return blocks;
    }

    public long sizeInBytes() {
        return blocks.length;
    }

    @Override
    public String toString() {
        return "BlockMatrix[" + format + ", " + rows + "x" + cols + "]";
    }
}
