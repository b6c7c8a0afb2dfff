package dev.assistant.core.quantize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.FloatConversion;
import dev.assistant.core.safetensors.SafetensorsWriter;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import dev.assistant.quant.Quantizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Writes an INT8 copy of a HuggingFace model directory: every linear layer's weight becomes {@code name.weight}
 * I8 [out, in] plus {@code name.weight_scale} F32 [out, groups] (GPT-2's Conv1D [in, out] weights are stored
 * transposed to the same [out, in] layout); an untied embedding table and output head too, unless told otherwise;
 * everything else is copied as it was. config.json gains a {@code quantization_config} naming the scheme, and the
 * safetensors metadata repeats it, so the directory loads again without re-quantizing and an SDK that cannot read
 * the scheme says so.
 *
 * <p>The quantization is the same code as quantize-at-load, so both routes give identical weights.
 */
public final class ModelQuantizer {
    /** Files copied unchanged when present. */
    private static final List<String> COPIED = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "chat_template.jinja", "chat_template.json");
    private static final Pattern LLAMA_LINEAR = Pattern.compile(
            "model\\.layers\\.\\d+\\.(self_attn\\.(q|k|v|o|qkv)_proj|mlp\\.(gate|up|down|gate_up)_proj)\\.weight");
    private static final Pattern GPT2_CONV1D = Pattern.compile(
            "(transformer\\.)?h\\.\\d+\\.(attn\\.c_attn|attn\\.c_proj|mlp\\.c_fc|mlp\\.c_proj)\\.weight");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Receives progress: tensors done out of all, and the name of the one just written. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total, name) -> {
        };

        void tensorDone(int done, int total, String name);
    }

    private final QuantScheme scheme;
    private final boolean quantizeEmbeddings;

    public ModelQuantizer(QuantScheme scheme, boolean quantizeEmbeddings) {
        this.scheme = Objects.requireNonNull(scheme);
        this.quantizeEmbeddings = quantizeEmbeddings;
    }

    /**
     * Quantizes {@code source} into {@code target} (created; must not be the source).
     *
     * @throws AssistantException {@code MODEL_INVALID} if the source is already quantized or unreadable,
     *                            {@code INVALID_REQUEST} if the target is the source or a non-empty directory
     */
    public void quantize(Path source, Path target, Progress progress) throws IOException {
        ModelDirectory dir = ModelDirectory.read(source, true);
        ModelConfig config = dir.config();
        if (config.quantization().isPresent()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, source + " is already quantized ("
                    + config.quantization().get().name() + ")");
        }
        if (Files.exists(target) && (Files.isSameFile(source, target) || !isEmptyDirectory(target))) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "output directory " + target
                    + " must be new or empty and differ from the model directory");
        }
        Files.createDirectories(target);
        try (WeightStore store = dir.openWeights()) {
            boolean tied = config.tieWordEmbeddings() || store.find("lm_head.weight").isEmpty();
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("quant_method", ModelConfig.QUANT_METHOD).metadata("quantization", scheme.name());
            Quantizer quantizer = new Quantizer(scheme);
            int total = store.tensors().size();
            int done = 0;
            for (TensorInfo t : store.tensors().values()) {
                Kind kind = kindOf(config.architecture(), t.name(), tied);
                switch (kind) {
                    case LINEAR -> addQuantized(writer, t.name(), quantizer.quantize(floats(store, t), (int) t.dim(0), (int) t.dim(1)));
                    case CONV1D -> addQuantized(writer, t.name(),
                            quantizer.quantizeTransposed(floats(store, t), (int) t.dim(0), (int) t.dim(1)));
                    case COPY -> writer.addRaw(t.name(), t.dtype(), t.shape(), store.map(t));
                }
                progress.tensorDone(++done, total, t.name());
            }
            writer.write(target.resolve("model.safetensors"));
            writeConfig(source.resolve("config.json"), target.resolve("config.json"), quantizeEmbeddings && !tied);
        }
        for (String name : COPIED) {
            Path file = source.resolve(name);
            if (Files.isRegularFile(file)) {
                Files.copy(file, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private enum Kind { LINEAR, CONV1D, COPY }

    private Kind kindOf(Architecture architecture, String name, boolean tied) {
        boolean table = name.equals("lm_head.weight") || name.equals("model.embed_tokens.weight")
                || name.matches("(transformer\\.)?wte\\.weight");
        if (table) {
            return quantizeEmbeddings && !tied ? Kind.LINEAR : Kind.COPY; // a tied table stays float, as at load
        }
        if (architecture != Architecture.GPT2 && LLAMA_LINEAR.matcher(name).matches()) {
            return Kind.LINEAR;
        }
        if (architecture == Architecture.GPT2 && GPT2_CONV1D.matcher(name).matches()) {
            return Kind.CONV1D;
        }
        return Kind.COPY;
    }

    private static FloatBuffer floats(WeightStore store, TensorInfo t) {
        if (!t.dtype().isFloat() || t.rank() != 2) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + t.name() + "' in " + t.file()
                    + " is " + t.dtype() + t.shapeText() + "; a 2-D float weight was expected");
        }
        ByteBuffer data = FloatConversion.toF32(store.map(t), t.dtype());
        return data.order(t.dtype() == DType.F32 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static void addQuantized(SafetensorsWriter writer, String name, QuantizedMatrix m) {
        writer.addRaw(name, DType.I8, new long[]{m.rows(), m.cols()}, m.valuesBuffer());
        ByteBuffer scales = ByteBuffer.allocate(m.scales().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        scales.asFloatBuffer().put(m.scalesBuffer());
        writer.addRaw(name + "_scale", DType.F32, new long[]{m.rows(), m.groupsPerRow()}, scales);
    }

    private void writeConfig(Path from, Path to, boolean tablesQuantized) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(from.toFile());
        ObjectNode q = config.putObject("quantization_config");
        q.put("quant_method", ModelConfig.QUANT_METHOD);
        q.put("scheme", scheme.name());
        q.put("format_version", 1);
        q.put("quantized_embeddings", tablesQuantized);
        JSON.writerWithDefaultPrettyPrinter().writeValue(to.toFile(), config);
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
