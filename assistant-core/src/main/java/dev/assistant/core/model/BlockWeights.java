package dev.assistant.core.model;

import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.WeightType;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.BlockMatrix;

import java.util.Optional;

/**
 * A model's matrices in ggml's group-32 block formats, for an engine that computes them natively: a tensor stored in
 * a block format (a GGUF Q4_0/Q8_0 tensor, or {@code assistant quantize --dtype q4}'s output) is taken as stored,
 * without converting to float32 and re-quantizing; with {@code dtype q4} a float tensor is quantized to Q4_0 at load
 * (ggml's reference rounding, {@link BlockMatrix#quantize}), so the same float weights give the same bytes either way.
 */
public final class BlockWeights {
    private final TensorReader reader;
    private final BlockFormat target;

    /** @param target the format float tensors are quantized to, or null to leave them float */
    public BlockWeights(TensorReader reader, BlockFormat target) {
        this.reader = reader;
        this.target = target;
    }

    /** The format float matrices are quantized to at load ({@code dtype q4}, or a q4 directory), if any. */
    public static Optional<BlockFormat> targetFor(ModelConfig config, LoadOptions options) {
        if (config.blockFormat().isPresent()) {
            return config.blockFormat();
        }
        return options.weightType() == WeightType.Q4 && config.quantization().isEmpty()
                ? Optional.of(BlockFormat.Q4_0) : Optional.empty();
    }

    public Optional<BlockFormat> target() {
        return Optional.ofNullable(target);
    }

    /**
     * The [rows, cols] matrix {@code name} as stored in a block format, else quantized to the target format; empty
     * when it is float and there is no target, or when its rows are not whole groups of 32 (kept float32 then, as
     * GGUF files keep them).
     */
    public Optional<BlockMatrix> matrix(String name, int rows, int cols) {
        Optional<BlockMatrix> stored = reader.store().blocks(name, rows, cols);
        if (stored.isPresent() || target == null || cols % BlockFormat.GROUP != 0) {
            return stored;
        }
        return Optional.of(reader.withFloats(reader.store().require(name, rows, cols),
                floats -> BlockMatrix.quantize(target, floats, rows, cols)));
    }

    /**
     * The matrices {@code names} (full tensor names, each [outs[i], in]) as one block matrix, rows joined; empty when
     * any of them stays float. Parts in different formats (a GGUF Q4_K_M file keeps q and k in Q4_K and v in Q6_K,
     * read as Q8_0) are all converted to Q8_0, within half an 8-bit step of their values, rather than to float32.
     */
    public Optional<BlockMatrix> joined(String[] names, int[] outs, int in) {
        BlockMatrix[] parts = new BlockMatrix[names.length];
        boolean mixed = false;
        for (int i = 0; i < names.length; i++) {
            Optional<BlockMatrix> part = matrix(names[i], outs[i], in);
            if (part.isEmpty()) {
                return Optional.empty();
            }
            parts[i] = part.get();
            mixed |= parts[i].format() != parts[0].format();
        }
        if (mixed) {
            for (int i = 0; i < parts.length; i++) {
                parts[i] = parts[i].convertTo(BlockFormat.Q8_0);
            }
        }
        return Optional.of(names.length == 1 ? parts[0] : BlockMatrix.concatRows(parts));
    }
}
