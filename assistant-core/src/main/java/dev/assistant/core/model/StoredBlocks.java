package dev.assistant.core.model;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.BlockMatrix;

import java.util.Optional;

/**
 * How {@code assistant quantize --dtype q4} stores a block-quantized [rows, cols] matrix in safetensors: a U8 tensor
 * under the weight's own name, shape [rows, blocksPerRow * blockBytes], holding the ggml blocks of each row (the
 * bytes a GGUF tensor of that type holds). The format follows from the row length (18 or 34 bytes per block).
 */
final class StoredBlocks {
    private StoredBlocks() {
    }

    static Optional<BlockMatrix> read(WeightStore store, String name, int rows, int cols) {
        TensorInfo info = store.find(name).orElseThrow(() -> new AssistantException(ErrorCode.MODEL_INVALID,
                "missing tensor '" + name + "' in the weights of " + store));
        if (info.dtype() != DType.U8) {
            return Optional.empty();
        }
        long[] shape = info.shape();
        int blocks = BlockFormat.blocksPerRow(cols);
        BlockFormat format = null;
        if (shape.length == 2 && shape[0] == rows) {
            for (BlockFormat f : new BlockFormat[]{BlockFormat.Q4_0, BlockFormat.Q8_0}) { // what quantize writes
                if (shape[1] == (long) blocks * f.blockBytes()) {
                    format = f;
                }
            }
        }
        if (format == null) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + name + "' in " + info.file()
                    + " is U8 " + info.shapeText() + ", which is no block format of a [" + rows + ", " + cols
                    + "] matrix (Q4_0 would be [" + rows + ", " + blocks * 18 + "])");
        }
        long bytes = format.bytes(rows, cols);
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + name + "' is too large for one array");
        }
        byte[] raw = new byte[(int) bytes];
        new TensorReader(store).withBytes(info, buffer -> buffer.get(raw));
        return Optional.of(BlockMatrix.wrap(format, rows, cols, raw));
    }
}
