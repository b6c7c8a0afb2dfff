package dev.assistant.core.registry;

import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.OutputHead;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.BlockFormat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Estimates the memory a model's weights take once loaded, from the headers alone (nothing is mapped), as the
 * native engine holds them (the engine {@code serve} and {@code doctor} pick for the Llama family):
 * <ul>
 *   <li>a matrix stored in a block format (a GGUF Q4_0/Q8_0 tensor, a U8 tensor of {@code assistant quantize
 *       --dtype q4}) takes its stored bytes;</li>
 *   <li>a stored INT8 matrix takes a byte per weight plus a 4-byte row sum per row (its scales are a tensor of their
 *       own, counted as float32); dtype int8 quantizes every float matrix to that plus a 4-byte scale per row, and a
 *       tied INT8 table is held twice (looked up in Java, multiplied natively);</li>
 *   <li>dtype q4 quantizes every float matrix whose rows are whole groups of 32 to Q4_0 (18 bytes per 32 weights;
 *       the table and head too, the engine's default {@code native.head});</li>
 *   <li>everything else is float32 (4 bytes a weight, whatever its width on disk).</li>
 * </ul>
 * KV caches are not weights and are not counted here: they grow per sequence ({@code KvCacheType#bytesPerToken}).
 * For a path that is neither a model directory nor a GGUF file the file size is the estimate.
 */
public final class WeightFootprint {
    private static final String TABLE = "model.embed_tokens.weight";
    private static final String HEAD = "lm_head.weight";

    private WeightFootprint() {
    }

    /** @param int8 whether float weights will be quantized to INT8 at load (else computed as float32) */
    public static long estimate(Path path, boolean int8) {
        return estimate(path, int8 ? WeightType.INT8 : WeightType.F32);
    }

    /** The weight bytes of the model at {@code path} loaded with {@code dtype} (F16 computes as float32). */
    public static long estimate(Path path, WeightType dtype) {
        if (!Files.isDirectory(path) && !dev.assistant.core.gguf.GgufFile.looksLikeGguf(path)) {
            return sizeOf(path);
        }
        try {
            ModelDirectory dir = ModelDirectory.read(path, false);
            ModelConfig config = dir.config();
            // a quantized directory computes as stored, whatever dtype was asked (as the engines load it)
            boolean stored = config.quantization().isPresent() || config.blockFormat().isPresent();
            WeightType type = stored ? WeightType.F32 : dtype;
            try (WeightStore store = dir.openWeights()) {
                long bytes = 0;
                for (TensorInfo tensor : store.tensors().values()) {
                    if (!tensor.name().equals(TABLE) && !tensor.name().equals(HEAD)) {
                        bytes += matrixBytes(store, tensor, type);
                    }
                }
                return bytes + tableAndHead(store, config, type);
            }
        } catch (RuntimeException e) {
            return 0; // unreadable here: loading will report it properly
        }
    }

    /** A layer's tensor: see the class comment. */
    private static long matrixBytes(WeightStore store, TensorInfo tensor, WeightType type) {
        long elements = tensor.elementCount();
        if (tensor.rank() != 2) {
            return elements * Float.BYTES;
        }
        long rows = tensor.dim(0);
        OptionalLong blocks = store.storedBlockBytes(tensor);
        if (blocks.isPresent() && type != WeightType.INT8) {
            return blocks.getAsLong();
        }
        if (tensor.dtype() == DType.I8) {
            return elements + rows * Integer.BYTES; // the scales are a float tensor of their own
        }
        if (type == WeightType.INT8) {
            return elements + rows * (Float.BYTES + Integer.BYTES); // scale and row sum per row
        }
        OptionalLong q4 = q4Bytes(tensor, type);
        return q4.isPresent() ? q4.getAsLong() : elements * Float.BYTES;
    }

    /**
     * The embedding table and the output head as the native engine holds them: a float table serves a tied head;
     * with dtype int8 an untied table is looked up in Java (a byte a weight and a scale a row) and its head multiplied
     * natively, a tied one stays float; a stored INT8 table tied to the head is held twice; in block formats (stored,
     * or dtype q4) the table follows the head, and stays float32 beside a float head.
     */
    private static long tableAndHead(WeightStore store, ModelConfig config, WeightType type) {
        TensorInfo table = store.tensors().get(TABLE);
        if (table == null || table.rank() != 2) {
            return 0;
        }
        long rows = table.dim(0);
        long elements = table.elementCount();
        boolean tied = OutputHead.isTied(config, store, "lm_head");
        TensorInfo head = tied ? null : store.tensors().get(HEAD);
        long headElements = head == null ? 0 : head.elementCount();
        if (type == WeightType.INT8) {
            return tied ? elements * Float.BYTES
                    : elements + rows * Float.BYTES + headElements + rows * (Float.BYTES + Integer.BYTES);
        }
        if (table.dtype() == DType.I8) {
            long headBytes = tied ? elements + rows * (Float.BYTES + Integer.BYTES)
                    : head.dtype() == DType.I8 ? headElements + rows * Integer.BYTES : headElements * Float.BYTES;
            return elements + headBytes;
        }
        OptionalLong headBlocks = blockBytes(store, tied ? table : head, type);
        if (tied) {
            return headBlocks.orElse(elements * Float.BYTES);
        }
        if (headBlocks.isEmpty()) {
            return (elements + headElements) * Float.BYTES;
        }
        return headBlocks.getAsLong() + blockBytes(store, table, type).orElse(elements * Float.BYTES);
    }

    /** As stored in a block format, else with dtype q4 quantized to Q4_0 when its rows are whole groups of 32. */
    private static OptionalLong blockBytes(WeightStore store, TensorInfo tensor, WeightType type) {
        OptionalLong stored = store.storedBlockBytes(tensor);
        return stored.isPresent() ? stored : q4Bytes(tensor, type);
    }

    private static OptionalLong q4Bytes(TensorInfo tensor, WeightType type) {
        if (type != WeightType.Q4 || tensor.rank() != 2 || tensor.dim(1) % BlockFormat.GROUP != 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(BlockFormat.Q4_0.bytes(Math.toIntExact(tensor.dim(0)), Math.toIntExact(tensor.dim(1))));
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
