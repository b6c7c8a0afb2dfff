package dev.assistant.core.quantize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.TensorReader;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.SafetensorsWriter;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.BlockMatrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Writes a 4-bit copy of a Llama-family, Qwen3 or Phi-3 model directory ({@code assistant quantize --dtype q4}): every linear layer
 * whose rows are whole groups of 32 becomes ggml Q4_0 blocks, stored as a U8 tensor [out, in / 32 * 18] under the
 * weight's own name (the bytes a GGUF Q4_0 tensor holds); the embedding table and output head go to {@code head}'s
 * format (Q4_0, Q8_0, or float32 when null); everything else is copied. config.json gains a
 * {@code quantization_config} ({@link ModelConfig#BLOCK_QUANT_METHOD}, scheme {@link ModelConfig#Q4_SCHEME}), so the
 * directory loads on the native engine without re-quantizing and the PyTorch engine declines it. The quantization is
 * dtype q4's at load ({@link BlockMatrix#quantize}): both routes give the same bytes.
 */
public final class BlockModelQuantizer {
    private static final List<String> COPIED = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "chat_template.jinja", "chat_template.json");
    private static final Pattern LLAMA_LINEAR = Pattern.compile(
            "model\\.layers\\.\\d+\\.(self_attn\\.(q|k|v|o|qkv)_proj|mlp\\.(gate|up|down|gate_up)_proj)\\.weight");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlockFormat head;

    /** @param head the format of the embedding table and output head, or null to keep them float */
    public BlockModelQuantizer(BlockFormat head) {
        this.head = head;
    }

    /**
     * Quantizes {@code source} into {@code target} (created; must be new or empty).
     *
     * @throws AssistantException {@code MODEL_INVALID} for a quantized source or an architecture other than Llama's,
     *                            {@code INVALID_REQUEST} if the target is the source or a non-empty directory
     */
    public void quantize(Path source, Path target, ModelQuantizer.Progress progress) throws IOException {
        ModelDirectory dir = ModelDirectory.read(source, true);
        ModelConfig config = dir.config();
        if (config.quantization().isPresent() || config.blockFormat().isPresent()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, source + " is already quantized");
        }
        if (config.architecture() != Architecture.LLAMA && config.architecture() != Architecture.QWEN3
                && config.architecture() != Architecture.PHI3) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "4-bit weights run on the native engine, which runs "
                    + "the Llama family, Qwen3 and Phi-3 only, not " + config.architectureName());
        }
        if (Files.exists(target) && (Files.isSameFile(source, target) || !isEmptyDirectory(target))) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "output directory " + target
                    + " must be new or empty and differ from the model directory");
        }
        Files.createDirectories(target);
        try (WeightStore store = dir.openWeights()) {
            TensorReader reader = new TensorReader(store);
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("quant_method", ModelConfig.BLOCK_QUANT_METHOD)
                    .metadata("quantization", ModelConfig.Q4_SCHEME);
            int total = store.tensors().size();
            int done = 0;
            for (TensorInfo t : store.tensors().values()) {
                BlockFormat format = formatOf(t);
                if (format != null) {
                    int rows = (int) t.dim(0);
                    int cols = (int) t.dim(1);
                    BlockMatrix m = reader.withFloats(t, floats -> BlockMatrix.quantize(format, floats, rows, cols));
                    writer.addRaw(t.name(), DType.U8, new long[]{rows, m.sizeInBytes() / rows}, m.blocksBuffer());
                } else {
                    writer.addRaw(t.name(), t.dtype(), t.shape(), store.map(t));
                }
                progress.tensorDone(++done, total, t.name());
            }
            writer.write(target.resolve("model.safetensors"));
        }
        ObjectNode json = (ObjectNode) JSON.readTree(source.resolve("config.json").toFile());
        ObjectNode q = json.putObject("quantization_config");
        q.put("quant_method", ModelConfig.BLOCK_QUANT_METHOD);
        q.put("scheme", ModelConfig.Q4_SCHEME);
        q.put("format_version", 1);
        q.put("head", head == null ? "f32" : head.name().toLowerCase(java.util.Locale.ROOT));
        JSON.writerWithDefaultPrettyPrinter().writeValue(target.resolve("config.json").toFile(), json);
        for (String name : COPIED) {
            Path file = source.resolve(name);
            if (Files.isRegularFile(file)) {
                Files.copy(file, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** The format tensor {@code t} is stored in, or null to copy it. */
    private BlockFormat formatOf(TensorInfo t) {
        boolean table = t.name().equals("lm_head.weight") || t.name().equals("model.embed_tokens.weight");
        BlockFormat format = table ? head : LLAMA_LINEAR.matcher(t.name()).matches() ? BlockFormat.Q4_0 : null;
        if (format == null || t.rank() != 2 || t.dim(1) % BlockFormat.GROUP != 0) {
            return null; // rows that are not whole groups stay float32, as dtype q4 at load keeps them
        }
        if (!t.dtype().isFloat()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + t.name() + "' in " + t.file() + " is "
                    + t.dtype() + "; a float weight was expected");
        }
        return format;
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }
}
