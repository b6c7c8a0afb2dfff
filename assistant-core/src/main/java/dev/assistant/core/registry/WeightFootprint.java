package dev.assistant.core.registry;

import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Estimates the memory a model's weights take once loaded, from the safetensors headers alone (nothing is
 * mapped): float weights are computed in float32 (4 bytes each, whatever their width on disk), INT8 ones take a
 * byte each plus their scales. For a path that is not a safetensors model the file size is the estimate.
 */
public final class WeightFootprint {
    private WeightFootprint() {
    }

    /**
     * @param int8 whether float weights will be quantized to INT8 at load
     */
    public static long estimate(Path path, boolean int8) {
        if (!Files.isDirectory(path) && !dev.assistant.core.gguf.GgufFile.looksLikeGguf(path)) {
            return sizeOf(path);
        }
        try (WeightStore store = WeightStore.open(path)) {
            long bytes = 0;
            for (TensorInfo tensor : store.tensors().values()) {
                long elements = tensor.elementCount();
                boolean quantized = tensor.dtype() == DType.I8 || int8 && tensor.rank() == 2;
                // An INT8 row carries one float scale: a few percent on top of its bytes.
                bytes += quantized ? elements + elements / 16 : elements * Float.BYTES;
            }
            return bytes;
        } catch (RuntimeException e) {
            return 0; // unreadable here: loading will report it properly
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }
}
