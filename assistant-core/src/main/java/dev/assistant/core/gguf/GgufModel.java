package dev.assistant.core.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.DirectBuffers;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.BlockMatrix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file seen as a HuggingFace model: the config.json its metadata implies, and its tensors under the
 * HuggingFace names as float32 (every GGUF type is dequantized at load, and Llama's q/k rows are un-permuted from
 * llama.cpp's interleaved RoPE pairs back to rotate-half order). Tensors are converted one at a time, when an
 * engine reads them, so a load never holds more than one float32 tensor beside the engine's own copy.
 */
public final class GgufModel {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final GgufFile file;
    private final GgufArchitecture architecture;
    private final ObjectNode configJson;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, GgufTensor> sources;
    private final int heads;
    private final int kvHeads;

    private GgufModel(GgufFile file) {
        this.file = file;
        this.architecture = GgufArchitecture.of(file);
        this.heads = positiveInt("attention.head_count");
        this.kvHeads = file.integer(architecture.key("attention.head_count_kv")).isPresent()
                ? positiveInt("attention.head_count_kv") : heads;
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        Map<String, GgufTensor> from = new LinkedHashMap<>();
        for (GgufTensor t : file.tensors().values()) {
            architecture.hfTensorName(t.name()).ifPresent(hf -> {
                infos.put(hf, new TensorInfo(hf, file.path(), DType.F32, t.shape(), 0,
                        Math.multiplyExact(t.elementCount(), (long) Float.BYTES)));
                from.put(hf, t);
            });
        }
        this.tensors = Collections.unmodifiableMap(infos);
        this.sources = from;
        this.configJson = buildConfig();
    }

    /** Reads the model view of an open {@code file} (which stays owned by the caller). */
    public static GgufModel of(GgufFile file) {
        return new GgufModel(file);
    }

    public GgufFile file() {
        return file;
    }

    public GgufArchitecture architecture() {
        return architecture;
    }

    /** The config.json the metadata implies (HuggingFace field names), for {@code ModelConfig.parse}. */
    public ObjectNode configJson() {
        return configJson.deepCopy();
    }

    /** The tensors under their HuggingFace names; each claims float32 bytes, delivered by {@link #floatBytes}. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The float32 values (little-endian) of {@code info} in a new direct buffer the caller owns and frees with
     * {@link DirectBuffers#release}.
     */
    public ByteBuffer floatBytes(TensorInfo info) {
        GgufTensor source = sources.get(info.name());
        if (source == null || !info.equals(tensors.get(info.name()))) {
            throw new IllegalArgumentException("tensor " + info.name() + " is not from " + file.path());
        }
        long count = source.elementCount();
        if (count > Integer.MAX_VALUE / Float.BYTES) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + source.name() + "' in " + file.path()
                    + " has " + count + " elements, more than this SDK converts in one piece");
        }
        float[] values;
        ByteBuffer mapped = file.map(source);
        try {
            values = GgufDequant.toFloats(source.type(), mapped, (int) count);
        } finally {
            DirectBuffers.release(mapped);
        }
        if (architecture.permutedQk()) {
            if (info.name().endsWith("self_attn.q_proj.weight")) {
                values = unpermuteRows(values, heads, info.shape());
            } else if (info.name().endsWith("self_attn.k_proj.weight")) {
                values = unpermuteRows(values, kvHeads, info.shape());
            }
        }
        ByteBuffer out;
        try {
            out = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        } catch (OutOfMemoryError e) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "no direct memory for tensor '" + info.name()
                    + "' (" + (long) values.length * Float.BYTES + " bytes): raise -XX:MaxDirectMemorySize", e);
        }
        out.asFloatBuffer().put(values);
        return out;
    }

    /**
     * The tensor {@code info} as stored when it is a Q4_0 or Q8_0 matrix (rows in HuggingFace order: llama.cpp's q/k
     * permutation undone by moving whole rows of blocks, which is lossless), else empty. The engines that compute
     * these formats natively take them as they are, without converting to float32 and re-quantizing.
     */
    public Optional<BlockMatrix> blocks(TensorInfo info) {
        GgufTensor source = sources.get(info.name());
        if (source == null || !info.equals(tensors.get(info.name()))) {
            throw new IllegalArgumentException("tensor " + info.name() + " is not from " + file.path());
        }
        BlockFormat format = switch (source.type()) {
            case Q4_0 -> BlockFormat.Q4_0;
            case Q8_0 -> BlockFormat.Q8_0;
            default -> null;
        };
        long[] shape = info.shape();
        if (format == null || shape.length != 2) {
            return Optional.empty();
        }
        int rows = Math.toIntExact(shape[0]);
        int cols = Math.toIntExact(shape[1]);
        long bytes = format.bytes(rows, cols);
        if (bytes > Integer.MAX_VALUE - 16 || bytes != source.byteSize()) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "tensor '" + source.name() + "' in " + file.path()
                    + " holds " + source.byteSize() + " bytes where " + source.type() + " " + info.shapeText()
                    + " needs " + bytes);
        }
        byte[] raw = new byte[(int) bytes];
        ByteBuffer mapped = file.map(source);
        try {
            mapped.duplicate().get(raw);
        } finally {
            DirectBuffers.release(mapped);
        }
        BlockMatrix m = BlockMatrix.wrap(format, rows, cols, raw);
        if (architecture.permutedQk()) {
            if (info.name().endsWith("self_attn.q_proj.weight")) {
                m = m.reorderRows(unpermutedOrder(rows, heads));
            } else if (info.name().endsWith("self_attn.k_proj.weight")) {
                m = m.reorderRows(unpermutedOrder(rows, kvHeads));
            }
        }
        return Optional.of(m);
    }

    /** For each HuggingFace row, the GGUF row it comes from (the inverse of llama.cpp's q/k permutation). */
    static int[] unpermutedOrder(int rows, int heads) {
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "a q/k projection of " + rows
                    + " rows cannot be split into " + heads + " heads of even size");
        }
        int d = rows / heads;
        int[] from = new int[rows];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < d / 2; j++) {
                for (int t = 0; t < 2; t++) {
                    from[h * d + t * (d / 2) + j] = h * d + 2 * j + t;
                }
            }
        }
        return from;
    }

    /**
     * Undoes llama.cpp's q/k permutation: within each head of {@code d} rows, GGUF row {@code 2j + t} holds
     * HuggingFace row {@code t * d/2 + j} (interleaved pairs back to rotate-half halves).
     */
    static float[] unpermuteRows(float[] w, int heads, long[] shape) {
        int rows = (int) shape[0];
        int cols = shape.length > 1 ? (int) shape[1] : 1;
        if (rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "a q/k projection of " + rows
                    + " rows cannot be split into " + heads + " heads of even size");
        }
        int d = rows / heads;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < d / 2; j++) {
                for (int t = 0; t < 2; t++) {
                    int src = h * d + 2 * j + t;
                    int dst = h * d + t * (d / 2) + j;
                    System.arraycopy(w, src * cols, out, dst * cols, cols);
                }
            }
        }
        return out;
    }

    private ObjectNode buildConfig() {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(architecture.hfName());
        c.put("hidden_size", positiveInt("embedding_length"));
        c.put("intermediate_size", positiveInt("feed_forward_length"));
        c.put("num_hidden_layers", positiveInt("block_count"));
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("max_position_embeddings", positiveInt("context_length"));
        file.integer(architecture.key("attention.key_length")).ifPresent(k -> c.put("head_dim", k));
        file.number(architecture.key("attention.layer_norm_rms_epsilon")).ifPresent(e -> c.put("rms_norm_eps", (float) (double) e));
        file.number(architecture.key("rope.freq_base")).ifPresent(t -> c.put("rope_theta", (float) (double) t));
        c.put("attention_bias", architecture.attentionBias());
        c.put("tie_word_embeddings", !tensors.containsKey("lm_head.weight"));
        TensorInfo embed = tensors.get("model.embed_tokens.weight");
        if (embed == null) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF file " + file.path() + " has no token_embd.weight");
        }
        c.put("vocab_size", embed.dim(0));
        file.integer("tokenizer.ggml.bos_token_id").ifPresent(id -> c.put("bos_token_id", id));
        file.integer("tokenizer.ggml.eos_token_id").ifPresent(id -> c.put("eos_token_id", id));
        c.put("torch_dtype", "float32");
        return c;
    }

    private int positiveInt(String suffix) {
        String key = architecture.key(suffix);
        long v = file.integer(key).orElseThrow(() -> new AssistantException(ErrorCode.MODEL_INVALID,
                "GGUF file " + file.path() + " has no " + key));
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF file " + file.path() + ": " + key + " is " + v);
        }
        return (int) v;
    }

    /** The GGUF tensor a HuggingFace name comes from (for messages and tests). */
    public List<String> sourceNames() {
        return sources.values().stream().map(GgufTensor::name).toList();
    }
}
