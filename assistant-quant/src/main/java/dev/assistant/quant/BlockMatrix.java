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
        if (!format.holds(cols)) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, format + " matrix [" + rows + ", " + cols
                    + "]: its rows are not whole blocks of " + format.blockInputs());
        }
        if (blocks.length != format.bytes(rows, cols)) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, format + " matrix [" + rows + ", " + cols + "] needs "
                    + format.bytes(rows, cols) + " bytes, has " + blocks.length);
        }
        ByteBuffer b = ByteBuffer.wrap(blocks).order(ByteOrder.LITTLE_ENDIAN);
        // Q4_1 and Q4_K blocks start with two float16 values (scale and offset), the others with one
        int halves = format == BlockFormat.Q4_1 || format == BlockFormat.Q4_K ? 2 : 1;
        for (int at = 0; at < blocks.length; at += format.blockBytes()) {
            float d = Half.toFloat(b.getShort(at));
            if (halves == 2 && !Float.isFinite(Half.toFloat(b.getShort(at + 2)))) {
                d = Float.NaN;
            }
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
        requireQuantizable(format);
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

    /** Where {@link #quantizeRows} reads the float32 weights from, one row at a time. */
    @FunctionalInterface
    public interface RowSource {
        /** Writes the {@code into.length} weights of row {@code row} into {@code into}. */
        void read(int row, float[] into);
    }

    /**
     * As {@link #quantize}, reading one row of floats at a time from {@code source}: converting a matrix stored in
     * another format never holds more than one row of it as float32.
     */
    public static BlockMatrix quantizeRows(BlockFormat format, int rows, int cols, RowSource source) {
        Objects.requireNonNull(format, "format");
        requireQuantizable(format);
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("shape must be positive, was [" + rows + ", " + cols + "]");
        }
        long bytes = format.bytes(rows, cols);
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("matrix [" + rows + ", " + cols + "] is too large for one array");
        }
        byte[] out = new byte[(int) bytes];
        float[] row = new float[cols];
        float[] group = new float[BlockFormat.GROUP];
        int blocksPerRow = BlockFormat.blocksPerRow(cols);
        for (int r = 0; r < rows; r++) {
            source.read(r, row);
            for (int g = 0; g < blocksPerRow; g++) {
                int n = Math.min(BlockFormat.GROUP, cols - g * BlockFormat.GROUP);
                java.util.Arrays.fill(group, 0f);
                for (int j = 0; j < n; j++) {
                    float v = row[g * BlockFormat.GROUP + j];
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

    private static void requireQuantizable(BlockFormat format) {
        if (format != BlockFormat.Q4_0 && format != BlockFormat.Q8_0) {
            throw new IllegalArgumentException(format + " is read from files, not quantized to (Q4_0 and Q8_0 are)");
        }
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
        int rowBytes = format.blocksPerRowOf(cols) * format.blockBytes();
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
        for (int r = 0; r < rows; r++) {
            dequantizeRow(r, out, r * cols);
        }
        return out;
    }

    /** Row {@code row} as float32, written to {@code out[from .. from + cols)}. */
    public void dequantizeRow(int row, float[] out, int from) {
        int blocksPerRow = format.blocksPerRowOf(cols);
        ByteBuffer b = ByteBuffer.wrap(blocks).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < cols; c++) {
            int g = c / format.blockInputs();
            int t = c % format.blockInputs();
            int at = (row * blocksPerRow + g) * format.blockBytes();
            out[from + c] = switch (format) {
                case Q4_0 -> Half.toFloat(b.getShort(at)) * (nibble(at + 2, t) - 8);
                case Q4_1 -> Half.toFloat(b.getShort(at)) * nibble(at + 4, t) + Half.toFloat(b.getShort(at + 2));
                case Q8_0 -> Half.toFloat(b.getShort(at)) * blocks[at + 2 + t];
                case Q4_K -> q4kWeight(b, at, t);
            };
        }
    }

    /** This matrix in {@code target} (Q4_0 or Q8_0), re-quantized one row at a time; itself when already there. */
    public BlockMatrix convertTo(BlockFormat target) {
        return target == format ? this : quantizeRows(target, rows, cols, (r, into) -> dequantizeRow(r, into, 0));
    }

    /** Element {@code t} of a group of 32 whose 16 bytes of nibbles start at {@code at} (Q4_0 and Q4_1). */
    private int nibble(int at, int t) {
        int byteValue = blocks[at + (t & 15)] & 0xFF;
        return t < 16 ? byteValue & 15 : byteValue >>> 4;
    }

    /** Element {@code t} (0..255) of the Q4_K super-block at {@code at}. */
    private float q4kWeight(ByteBuffer b, int at, int t) {
        int j = t / 32;
        int p = at + 4;
        int sc;
        int m;
        if (j < 4) {
            sc = blocks[p + j] & 63;
            m = blocks[p + j + 4] & 63;
        } else {
            sc = (blocks[p + j + 4] & 15) | ((blocks[p + j - 4] & 0xFF) >>> 6) << 4;
            m = ((blocks[p + j + 4] & 0xFF) >>> 4) | ((blocks[p + j] & 0xFF) >>> 6) << 4;
        }
        int byteValue = blocks[at + 16 + (t / 64) * 32 + t % 32] & 0xFF;
        int q = t % 64 < 32 ? byteValue & 15 : byteValue >>> 4;
        return Half.toFloat(b.getShort(at)) * sc * q - Half.toFloat(b.getShort(at + 2)) * m;
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
