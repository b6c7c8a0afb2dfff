package dev.assistant.core.gguf;

import java.nio.file.Path;

/**
 * The test converter from the command line, for benchmarks that need files in the k-quant types (the shared
 * NumPy converter writes F32, F16, Q8_0 and Q4_0 only).
 *
 * <p>Usage: {@code GgufConvertMain HF_DIR OUT.gguf TYPE [FALLBACK]}: every matrix in TYPE, those whose rows are not
 * whole blocks of TYPE in FALLBACK (default F32), as llama.cpp's quantizer falls back per tensor.
 */
public final class GgufConvertMain {
    private GgufConvertMain() {
    }

    public static void main(String[] args) throws Exception {
        GgmlType type = GgmlType.valueOf(args[2]);
        GgmlType fallback = args.length > 3 ? GgmlType.valueOf(args[3]) : GgmlType.F32;
        int hidden = dev.assistant.core.model.ModelDirectory.read(Path.of(args[0]), false).config().hiddenSize();
        int ffn = dev.assistant.core.model.ModelDirectory.read(Path.of(args[0]), false).config().intermediateSize();
        // a matrix's row length: ffn for the MLP's down projection, the hidden size for the others (Llama layout)
        GgufConverter.convert(Path.of(args[0]), Path.of(args[1]),
                name -> (name.endsWith("ffn_down.weight") ? ffn : hidden) % type.blockSize() == 0 ? type : fallback);
    }
}
