package dev.assistant.quant;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.util.List;

/**
 * How a weight matrix is quantized: symmetric INT8 with one float32 scale per output row ("channel") or per group of
 * {@code 32}, {@code 64} or {@code 128} consecutive inputs of a row.
 *
 * <p><b>Values.</b> A weight {@code w} is stored as {@code q = round(w / s)} clamped to {@code [-127, 127]}, where
 * {@code s = max|w| / 127} over the group, or per channel the scale between that and 70% of it with the least
 * squared error over the row (see {@link Quantizer}); it is read back as {@code q * s}. {@code -128} is never
 * produced, so the range is symmetric and {@code -q} is always representable. Rounding is half away from zero, as C's
 * {@code roundf} and llama.cpp's Q8_0 do, so the group-32 values can be compared with llama.cpp's Q8_0 value for
 * value. A reader needs only {@code q} and {@code s}: how {@code s} was chosen is not part of the format.
 *
 * <p><b>Why float32 scales.</b> A group of 64 costs 64 bytes of values plus 4 bytes of scale (6% more than float16
 * scales would cost; per channel the difference is nil). In exchange: no precision is lost on the scale (float16 has
 * an 11-bit significand and turns scales below 6e-5, i.e. groups whose largest weight is below 0.008, into
 * subnormals with even fewer bits), Java 17 has no float16 conversion intrinsic, so the kernels would pay a software
 * conversion per group, and saved files reload bit for bit without a format conversion.
 *
 * <p><b>Groups.</b> Groups split each row of {@code K} inputs into {@code ceil(K / groupSize)} runs; when {@code K} is
 * not a multiple of the group size the last group of every row is shorter (SmolLM's {@code K = 576} with groups of
 * 128 has four groups of 128 and one of 64). Per channel, the group is the whole row.
 *
 * <p><b>Names.</b> {@link #name()} is a stable string for file metadata ({@code int8-sym-channel-f32scale},
 * {@code int8-sym-g32-f32scale}, {@code int8-sym-g64-f32scale}, {@code int8-sym-g128-f32scale});
 * {@link #parse(String)} reads it back. Instances are immutable and compare by value.
 */
public final class QuantScheme {
    /** One scale per output row. The fastest to compute with; the coarsest. */
    public static final QuantScheme PER_CHANNEL = new QuantScheme(0);
    /** One scale per 32 inputs of a row (the block size of llama.cpp's Q8_0). */
    public static final QuantScheme GROUP_32 = new QuantScheme(32);
    /** One scale per 64 inputs of a row. */
    public static final QuantScheme GROUP_64 = new QuantScheme(64);
    /** One scale per 128 inputs of a row. */
    public static final QuantScheme GROUP_128 = new QuantScheme(128);

    private static final List<QuantScheme> SUPPORTED = List.of(PER_CHANNEL, GROUP_32, GROUP_64, GROUP_128);

    /** 0 means per channel. */
    private final int groupSize;
    private final String name;

    private QuantScheme(int groupSize) {
        this.groupSize = groupSize;
        this.name = groupSize == 0 ? "int8-sym-channel-f32scale" : "int8-sym-g" + groupSize + "-f32scale";
    }

    /**
     * The per-group scheme of the given group size.
     *
     * @throws IllegalArgumentException unless {@code groupSize} is 32, 64 or 128
     */
    public static QuantScheme perGroup(int groupSize) {
        switch (groupSize) {
            case 32: return GROUP_32;
            case 64: return GROUP_64;
            case 128: return GROUP_128;
            default:
                throw new IllegalArgumentException("group size must be 32, 64 or 128, was " + groupSize);
        }
    }

    /** The per-channel scheme ({@link #PER_CHANNEL}). */
    public static QuantScheme perChannel() {
        return PER_CHANNEL;
    }

    /**
     * Reads a scheme name written by {@link #name()}. Matching is exact (case and all).
     *
     * @throws AssistantException with {@link ErrorCode#MODEL_INVALID} naming the unknown scheme and the supported ones
     */
    public static QuantScheme parse(String name) {
        if (name != null) {
            for (QuantScheme scheme : SUPPORTED) {
                if (scheme.name.equals(name)) {
                    return scheme;
                }
            }
        }
        throw new AssistantException(ErrorCode.MODEL_INVALID,
                "Unsupported quantization scheme '" + name + "'; supported schemes: " + supportedNames()
                        + ". Re-quantize the model with a supported scheme.",
                "unsupported_quant_scheme", null, -1);
    }

    /** The names {@link #parse(String)} accepts, in a fixed order. */
    public static List<String> supportedNames() {
        return SUPPORTED.stream().map(QuantScheme::name).toList();
    }

    /** The stable metadata name, for example {@code int8-sym-g64-f32scale}. */
    public String name() {
        return name;
    }

    /** Whether there is one scale per output row. */
    public boolean isPerChannel() {
        return groupSize == 0;
    }

    /** The group size (32, 64 or 128), or 0 when per channel. */
    public int groupSize() {
        return groupSize;
    }

    /** The number of inputs one scale covers in a row of {@code cols} inputs (the whole row when per channel). */
    public int effectiveGroupSize(int cols) {
        return groupSize == 0 ? Math.max(cols, 1) : groupSize;
    }

    /** The number of scales per row of {@code cols} inputs: {@code ceil(cols / groupSize)}, or 1 per channel. */
    public int groupsPerRow(int cols) {
        if (cols <= 0) {
            throw new IllegalArgumentException("cols must be positive, was " + cols);
        }
        return groupSize == 0 ? 1 : (cols + groupSize - 1) / groupSize;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantScheme && ((QuantScheme) o).groupSize == groupSize;
    }

    @Override
    public int hashCode() {
        return groupSize;
    }

    @Override
    public String toString() {
        return name;
    }
}
