package dev.assistant.quant;

/**
 * The group-32 block formats of ggml (llama.cpp, GGUF files), kept byte for byte: each block covers 32 consecutive
 * inputs of one row and starts with its float16 scale {@code d}.
 *
 * <ul>
 *   <li>{@link #Q4_0}: 2 bytes of scale + 16 bytes of nibbles; byte {@code j} holds element {@code j} in its low nibble
 *       and element {@code 16 + j} in its high nibble; value = {@code (q - 8) * d}. 4.5 bits per weight.</li>
 *   <li>{@link #Q8_0}: 2 bytes of scale + 32 signed bytes; value = {@code q * d}. 8.5 bits per weight.</li>
 * </ul>
 */
public enum BlockFormat {
    Q4_0(2, 18),
    Q8_0(8, 34);

    /** Inputs per block. */
    public static final int GROUP = 32;

    private final int ggmlType;
    private final int blockBytes;

    BlockFormat(int ggmlType, int blockBytes) {
        this.ggmlType = ggmlType;
        this.blockBytes = blockBytes;
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
        return (long) rows * blocksPerRow(cols) * blockBytes;
    }
}
