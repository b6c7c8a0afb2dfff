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
    /** Half the largest head size config.json may have: a factor tensor beyond it is not a head's frequencies. */
    private static final int MAX_ROPE_FACTORS = 512;

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
        if (architecture.storesNormPlusOne(info.name())) {
            // llama.cpp's converter adds Gemma's 1 to its norms; the engines read HuggingFace's w
            for (int i = 0; i < values.length; i++) {
                values[i] -= 1f;
            }
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
     * The bytes {@code info} takes as a block matrix ({@link #blocks}): as stored for Q4_0, Q4_1, Q4_K and Q8_0
     * matrices, as Q8_0 for Q5_0, Q5_1, Q5_K and Q6_K ones (converted at load), read from the header alone; empty otherwise (it
     * is converted to float32 at load).
     */
    public java.util.OptionalLong storedBlockBytes(TensorInfo info) {
        GgufTensor source = sources.get(info.name());
        if (source == null || info.rank() != 2) {
            return java.util.OptionalLong.empty();
        }
        return switch (source.type()) {
            case Q4_0, Q4_1, Q8_0 -> java.util.OptionalLong.of(source.byteSize());
            // the engine unpacks each super-block's 12 bytes of 6-bit scales and mins to 16
            case Q4_K -> java.util.OptionalLong.of(source.byteSize() + source.elementCount() / 256 * 4);
            case Q5_0, Q5_1, Q5_K, Q6_K -> java.util.OptionalLong.of(source.elementCount() / 32 * 34);
            default -> java.util.OptionalLong.empty();
        };
    }

    /**
     * The tensor {@code info} as a block matrix the native engine computes, rows in HuggingFace order (llama.cpp's
     * q/k permutation undone by moving whole rows of blocks, which is lossless), else empty (float types):
     * <ul>
     *   <li>Q4_0, Q4_1, Q8_0 and Q4_K matrices as stored, without converting to float32 and re-quantizing;</li>
     *   <li>Q5_0, Q5_1, Q5_K and Q6_K matrices converted to Q8_0, one row at a time (llama.cpp's Q4_K_M and Q5_K_M
     *       files hold Q5_0 where a row is not whole super-blocks of 256). Q8_0 rather than float32: it stays within
     *       half a step of 8 bits per group of 32 of the 5/6-bit values (a relative error far below the one the file
     *       already has), keeps those tensors at 8.5 bits per weight instead of 32, runs on the native engine's block
     *       kernels, and the conversion never holds more than one row as float32.</li>
     * </ul>
     */
    public Optional<BlockMatrix> blocks(TensorInfo info) {
        GgufTensor source = sources.get(info.name());
        if (source == null || !info.equals(tensors.get(info.name()))) {
            throw new IllegalArgumentException("tensor " + info.name() + " is not from " + file.path());
        }
        BlockFormat format = switch (source.type()) {
            case Q4_0 -> BlockFormat.Q4_0;
            case Q4_1 -> BlockFormat.Q4_1;
            case Q8_0, Q5_0, Q5_1, Q5_K, Q6_K -> BlockFormat.Q8_0;
            case Q4_K -> BlockFormat.Q4_K;
            default -> null;
        };
        long[] shape = info.shape();
        if (format == null || shape.length != 2) {
            return Optional.empty();
        }
        int rows = Math.toIntExact(shape[0]);
        int cols = Math.toIntExact(shape[1]);
        GgmlType type = source.type();
        if (cols % type.blockSize() != 0) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "tensor '" + source.name() + "' in " + file.path()
                    + " is " + type + " " + info.shapeText() + ": its rows are not whole blocks of " + type.blockSize());
        }
        long stored = (long) rows * (cols / type.blockSize()) * type.typeSize();
        if (format.bytes(rows, cols) > Integer.MAX_VALUE - 16 || stored != source.byteSize()) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "tensor '" + source.name() + "' in " + file.path()
                    + " holds " + source.byteSize() + " bytes where " + type + " " + info.shapeText() + " needs "
                    + stored);
        }
        BlockMatrix m;
        ByteBuffer mapped = file.map(source);
        try {
            if (format.ggmlType() == type.id()) {
                byte[] raw = new byte[(int) stored];
                mapped.duplicate().get(raw);
                m = BlockMatrix.wrap(format, rows, cols, raw);
            } else {
                int rowBytes = cols / type.blockSize() * type.typeSize();
                m = BlockMatrix.quantizeRows(format, rows, cols, (r, into) -> GgufDequant.toFloats(type,
                        mapped.duplicate().position(r * rowBytes), into, 0, cols));
            }
        } catch (IllegalArgumentException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "tensor '" + source.name() + "' in " + file.path()
                    + " does not convert to " + format + ": " + e.getMessage(), e);
        } finally {
            DirectBuffers.release(mapped);
        }
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
        switch (architecture.ggufName()) {
            case "gemma2", "gemma3" -> gemmaConfig(c);
            case "phi3" -> phi3Config(c);
            default -> {
            }
        }
        file.integer("tokenizer.ggml.bos_token_id").ifPresent(id -> c.put("bos_token_id", id));
        file.integer("tokenizer.ggml.eos_token_id").ifPresent(id -> c.put("eos_token_id", id));
        c.put("torch_dtype", "float32");
        return c;
    }

    /**
     * What Gemma's config.json says beyond the Llama fields. GGUF has no query_pre_attn_scalar: llama.cpp takes
     * head_dim, except for the 27B shapes (Gemma 2: 46 layers, Gemma 3: 62), which scale by hidden / heads; likewise
     * Gemma 3's local RoPE base (10^4, unless the file names one) and its one global layer in 6.
     */
    private void gemmaConfig(ObjectNode c) {
        boolean gemma3 = architecture.ggufName().equals("gemma3");
        int layers = positiveInt("block_count");
        int headDim = file.integer(architecture.key("attention.key_length")).isPresent()
                ? positiveInt("attention.key_length") : c.get("hidden_size").asInt() / heads;
        c.put("head_dim", headDim);
        boolean big = layers == (gemma3 ? 62 : 46);
        c.put("query_pre_attn_scalar", big ? c.get("hidden_size").asInt() / heads : headDim);
        c.put("hidden_activation", "gelu_pytorch_tanh");
        file.integer(architecture.key("attention.sliding_window")).ifPresent(w -> c.put("sliding_window", w));
        // Gemma 2 caps scores at 50 and logits at 30 unless the file says otherwise (llama.cpp's defaults, and HF's)
        Optional<Double> attentionCap = file.number(architecture.key("attn_logit_softcapping"));
        Optional<Double> finalCap = file.number(architecture.key("final_logit_softcapping"));
        if (attentionCap.isPresent() || !gemma3) {
            c.put("attn_logit_softcapping", attentionCap.orElse(50.0));
        }
        if (finalCap.isPresent() || !gemma3) {
            c.put("final_logit_softcapping", finalCap.orElse(30.0));
        }
        if (gemma3) {
            c.put("sliding_window_pattern", 6);
            c.put("rope_local_base_freq", file.number(architecture.key("rope.freq_base_swa")).orElse(10000.0));
            if (!c.has("rope_theta")) {
                c.put("rope_theta", 10000.0f); // llama.cpp's default when the file names none
            }
            linearRopeScaling(c);
        }
    }

    /**
     * Phi-3: the context the model was trained on, its sliding window (which caps the usable context), and LongRoPE,
     * which llama.cpp's converter stores as two tensors of per-frequency factors and an attention factor.
     */
    private void phi3Config(ObjectNode c) {
        file.integer(architecture.key("rope.scaling.original_context_length"))
                .ifPresent(n -> c.put("original_max_position_embeddings", n));
        file.integer(architecture.key("attention.sliding_window")).ifPresent(w -> c.put("sliding_window", w));
        Optional<GgufTensor> longFactors = file.find("rope_factors_long.weight");
        Optional<GgufTensor> shortFactors = file.find("rope_factors_short.weight");
        if (longFactors.isPresent() != shortFactors.isPresent()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF file " + file.path()
                    + " has one of rope_factors_long.weight and rope_factors_short.weight without the other");
        }
        if (longFactors.isPresent()) {
            ObjectNode rope = c.putObject("rope_scaling").put("type", "longrope");
            factors(rope.putArray("short_factor"), shortFactors.get());
            factors(rope.putArray("long_factor"), longFactors.get());
            file.number(architecture.key("rope.scaling.attn_factor")).ifPresent(f -> rope.put("attention_factor", f));
        }
    }

    private void factors(com.fasterxml.jackson.databind.node.ArrayNode out, GgufTensor t) {
        if (t.elementCount() > MAX_ROPE_FACTORS) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF tensor " + t.name() + " of " + file.path()
                    + " has " + t.elementCount() + " values, more than a head's frequencies");
        }
        ByteBuffer mapped = file.map(t);
        try {
            for (float f : GgufDequant.toFloats(t.type(), mapped, (int) t.elementCount())) {
                out.add(f);
            }
        } finally {
            DirectBuffers.release(mapped);
        }
    }

    private void linearRopeScaling(ObjectNode c) {
        Optional<String> type = file.string(architecture.key("rope.scaling.type"));
        if (type.isPresent() && type.get().equals("linear")) {
            double factor = file.number(architecture.key("rope.scaling.factor")).orElse(1.0);
            c.putObject("rope_scaling").put("rope_type", "linear").put("factor", factor);
        } else if (type.isPresent() && !type.get().equals("none")) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF file " + file.path() + ": "
                    + architecture.key("rope.scaling.type") + " '" + type.get() + "' is not supported (linear, none)");
        }
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
