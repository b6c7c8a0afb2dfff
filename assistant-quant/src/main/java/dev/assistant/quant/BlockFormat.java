package dev.assistant.quant;

/**
 * The block formats of ggml (llama.cpp, GGUF files) the native engine computes, kept byte for byte: each block covers
 * {@link #blockInputs()} consecutive inputs of one row and starts with its float16 scale {@code d}.
 *
 * <ul>
 *   <li>{@link #Q4_0}: 2 bytes of scale + 16 bytes of nibbles; byte {@code j} holds element {@code j} in its low nibble
 *       and element {@code 16 + j} in its high nibble; value = {@code (q - 8) * d}. 4.5 bits per weight.</li>
 *   <li>{@link #Q4_1}: scale {@code d}, offset {@code m} (float16 each) + 16 bytes of nibbles as Q4_0's; value =
 *       {@code q * d + m}. 5 bits per weight.</li>
 *   <li>{@link #Q8_0}: 2 bytes of scale + 32 signed bytes; value = {@code q * d}. 8.5 bits per weight.</li>
 *   <li>{@link #Q4_K}: super-blocks of 256 inputs: float16 {@code d} and {@code dmin}, 12 bytes packing eight 6-bit
 *       scales {@code sc} and mins {@code m} (one per sub-block of 32), 128 bytes of nibbles (bytes 0..31 hold
 *       sub-block 0 in their low nibbles and sub-block 1 in their high ones, and so on); value =
 *       {@code d * sc * q - dmin * m}. 4.5 bits per weight; rows must be whole super-blocks.</li>
 * </ul>
 */
public enum BlockFormat {
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q8_0(8, 32, 34),
    Q4_K(12, 256, 144);

    /** Inputs per block of the group-32 formats. */
    public static final int GROUP = 32;

    private final int ggmlType;
    private final int blockInputs;
    private final int blockBytes;

    BlockFormat(int ggmlType, int blockInputs, int blockBytes) {
        this.ggmlType = ggmlType;
        this.blockInputs = blockInputs;
        this.blockBytes = blockBytes;
    }

    /** Inputs one block covers (32, or 256 for Q4_K). */
    public int blockInputs() {
        return blockInputs;
    }

    /**
     * Whether a row of {@code cols} inputs can be stored: any positive length for the group-32 formats (the last
     * block zero-padded), whole super-blocks for Q4_K.
     */
    public boolean holds(int cols) {
        return cols > 0 && (blockInputs == GROUP || cols % blockInputs == 0);
    }

    /** Blocks of one row of {@code cols} inputs in this format. */
    public int blocksPerRowOf(int cols) {
        if (!holds(cols)) {
            throw new IllegalArgumentException(this + " cannot store a row of " + cols + " inputs");
        }
        return (cols + blockInputs - 1) / blockInputs;
    }

    /** ggml's type id (as in GGUF tensor infos and the native library). */
    public int ggmlType() {
        return ggmlType;
    }

    /** Bytes of one block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Blocks per row of {@code cols} inputs: the last one zero-padded when {@code cols} is not a multiple of 32. */
    public static int blocksPerRow(int cols) {
        if (cols < 1) {
            throw new IllegalArgumentException("cols must be positive, was " + cols);
        }
        return (cols + GROUP - 1) / GROUP;
    }

    /** Bytes of a [rows, cols] matrix. */
    public long bytes(int rows, int cols) {
        return (long) rows * blocksPerRowOf(cols) * blockBytes;
    }
}
