package dev.assistant.core.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.TensorReader;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test-scope converter of a HuggingFace directory to GGUF v3 (F32 or Q8_0), written independently of the reader
 * after llama.cpp's own converter: architectures llama (Llama/Mistral), qwen2, qwen3, gemma2, gemma3 and phi3 with
 * llama.cpp's tensor names and metadata keys, Llama's q/k rows permuted into interleaved RoPE pairs per head (the
 * other families use rotate-half RoPE in llama.cpp and are stored as is), Gemma's norm weights stored as 1 + w and
 * its tied head left out, Phi-3's fused qkv and gate_up kept whole; and the tokenizer vocabulary ("llama" with scores
 * ranked by the merges for SentencePiece-style BPE, else "gpt2" with merges; added tokens control or user-defined as
 * their {@code special} flag says).
 */
public final class GgufConverter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private GgufConverter() {
    }

    public static Path convert(Path hfDir, Path out, GgmlType type) throws IOException {
        if (type != GgmlType.F32 && type != GgmlType.Q8_0) {
            throw new IllegalArgumentException("converts to F32 or Q8_0, not " + type);
        }
        return convert(hfDir, out, name -> type);
    }

    /**
     * As {@link #convert(Path, Path, GgmlType)}, each matrix in the type {@code typeFor} gives for its GGUF name (F32,
     * Q4_0, Q8_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K, see {@link GgufBlockWriters}); a matrix whose rows are not whole blocks of
     * that type stays F32 (as llama.cpp's tools fall back to another type), and so do vectors.
     */
    public static Path convert(Path hfDir, Path out, java.util.function.Function<String, GgmlType> typeFor)
            throws IOException {
        return convert(hfDir, out, typeFor, false);
    }

    /**
     * With {@code dequantized}, every matrix is written F32 holding the values its type gives back (its blocks
     * decoded): the float32 twin of the file {@code convert(hfDir, out, typeFor)} writes.
     */
    public static Path convert(Path hfDir, Path out, java.util.function.Function<String, GgmlType> typeFor,
                               boolean dequantized) throws IOException {
        ModelDirectory dir = ModelDirectory.read(hfDir, false);
        ModelConfig c = dir.config();
        JsonNode json = JSON.readTree(hfDir.resolve("config.json").toFile());
        String arch = switch (c.architectureName()) {
            case "LlamaForCausalLM", "MistralForCausalLM" -> "llama";
            case "Qwen2ForCausalLM" -> "qwen2";
            case "Qwen3ForCausalLM" -> "qwen3";
            case "Gemma2ForCausalLM" -> "gemma2";
            case "Gemma3ForCausalLM" -> "gemma3";
            case "Phi3ForCausalLM" -> "phi3";
            default -> throw new IllegalArgumentException("no GGUF architecture for " + c.architectureName());
        };
        boolean gemma = arch.startsWith("gemma");
        GgufBytes g = new GgufBytes()
                .string("general.architecture", arch)
                .string("general.name", dir.defaultName())
                .uint32(arch + ".context_length", c.maxPositionEmbeddings())
                .uint32(arch + ".embedding_length", c.hiddenSize())
                .uint32(arch + ".block_count", c.numLayers())
                .uint32(arch + ".feed_forward_length", c.intermediateSize())
                .uint32(arch + ".rope.dimension_count", c.headDim())
                .uint32(arch + ".attention.head_count", c.numHeads())
                .uint32(arch + ".attention.head_count_kv", c.numKvHeads())
                .float32(arch + ".attention.layer_norm_rms_epsilon", (float) c.normEps())
                .float32(arch + ".rope.freq_base", (float) c.ropeTheta())
                .uint32(arch + ".vocab_size", c.vocabSize());
        if (!arch.equals("llama") && !arch.equals("qwen2") && !arch.equals("phi3")) {
            g.uint32(arch + ".attention.key_length", c.headDim()).uint32(arch + ".attention.value_length", c.headDim());
        }
        if (gemma) {
            g.uint32(arch + ".attention.sliding_window", json.get("sliding_window").asInt());
        }
        if (arch.equals("gemma2")) {
            if (json.path("attn_logit_softcapping").isNumber()) {
                g.float32("gemma2.attn_logit_softcapping", (float) json.get("attn_logit_softcapping").asDouble());
            }
            if (json.path("final_logit_softcapping").isNumber()) {
                g.float32("gemma2.final_logit_softcapping", (float) json.get("final_logit_softcapping").asDouble());
            }
        }
        if (arch.equals("gemma3") && json.path("rope_scaling").isObject()) {
            g.string("gemma3.rope.scaling.type", "linear")
                    .float32("gemma3.rope.scaling.factor", (float) json.get("rope_scaling").get("factor").asDouble());
        }
        if (arch.equals("phi3")) {
            g.uint32("phi3.rope.scaling.original_context_length",
                    json.path("original_max_position_embeddings").asInt(c.maxPositionEmbeddings()));
            // llama.cpp requires it for Phi-3; a config without one attends over the whole context
            g.uint32("phi3.attention.sliding_window", json.path("sliding_window").asInt(c.maxPositionEmbeddings()));
            JsonNode rope = json.path("rope_scaling");
            if (rope.isObject()) {
                // LongRoPE as llama.cpp's converter stores it: the factor lists as tensors, and the attention factor
                int original = json.get("original_max_position_embeddings").asInt();
                double scale = (double) json.get("max_position_embeddings").asInt() / original;
                g.float32("phi3.rope.scaling.attn_factor",
                        (float) (scale > 1 ? Math.sqrt(1 + Math.log(scale) / Math.log(original)) : 1.0));
                for (String which : new String[]{"long", "short"}) {
                    JsonNode list = rope.get(which + "_factor");
                    float[] values = new float[list.size()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) list.get(i).asDouble();
                    }
                    g.tensor("rope_factors_" + which + ".weight", GgmlType.F32.id(), new long[]{values.length},
                            GgufBytes.f32(values));
                }
            }
        }
        tokenizer(hfDir, c.vocabSize(), c.bosTokenId(), c.eosTokenIds().isEmpty() ? -1 : c.eosTokenIds().get(0), g);
        Path tokenizerConfig = hfDir.resolve("tokenizer_config.json");
        if (Files.exists(tokenizerConfig) && JSON.readTree(tokenizerConfig.toFile()).has("add_bos_token")) {
            g.bool("tokenizer.ggml.add_bos_token", JSON.readTree(tokenizerConfig.toFile()).get("add_bos_token").asBoolean());
        }
        try (WeightStore store = dir.openWeights()) {
            TensorReader reader = new TensorReader(store);
            for (TensorInfo t : store.tensors().values()) {
                if (gemma && t.name().equals("lm_head.weight")) {
                    continue; // Gemma's head is the embeddings, which llama.cpp reads when output.weight is missing
                }
                String name = ggufName(t.name(), arch);
                float[] values = reader.withFloats(t, fb -> {
                    float[] v = new float[fb.remaining()];
                    fb.get(v);
                    return v;
                });
                long[] shape = t.shape();
                if (arch.equals("llama") && t.name().endsWith("q_proj.weight")) {
                    values = permute(values, c.numHeads(), shape);
                } else if (arch.equals("llama") && t.name().endsWith("k_proj.weight")) {
                    values = permute(values, c.numKvHeads(), shape);
                }
                if (gemma && t.name().endsWith("norm.weight")) {
                    for (int i = 0; i < values.length; i++) {
                        values[i] += 1f;
                    }
                }
                long[] dims = new long[shape.length];
                for (int i = 0; i < shape.length; i++) {
                    dims[i] = shape[shape.length - 1 - i];
                }
                GgmlType type = typeFor.apply(name);
                boolean quantize = type != GgmlType.F32 && shape.length == 2 && dims[0] % type.blockSize() == 0;
                if (quantize && dequantized) {
                    byte[] blocks = GgufBlockWriters.write(type, values);
                    g.tensor(name, GgmlType.F32.id(), dims, GgufBytes.f32(GgufDequant.toFloats(type,
                            ByteBuffer.wrap(blocks), values.length)));
                } else {
                    g.tensor(name, quantize ? type.id() : GgmlType.F32.id(), dims,
                            quantize ? GgufBlockWriters.write(type, values) : GgufBytes.f32(values));
                }
            }
        }
        Files.write(out, g.build());
        return out;
    }

    /** llama.cpp's permutation: HF row {@code t*d/2 + j} of each head goes to row {@code 2j + t}. */
    static float[] permute(float[] w, int heads, long[] shape) {
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        int d = rows / heads;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int t = 0; t < 2; t++) {
                for (int j = 0; j < d / 2; j++) {
                    System.arraycopy(w, (h * d + t * d / 2 + j) * cols, out, (h * d + 2 * j + t) * cols, cols);
                }
            }
        }
        return out;
    }

    /** Q8_0 blocks: scale = max|x| / 127 stored as float16, quants = round(x / scale). */
    static byte[] q8_0(float[] values) {
        ByteBuffer out = ByteBuffer.allocate(values.length / 32 * 34).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < values.length / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(values[b * 32 + j]));
            }
            float d = amax / 127f;
            short half = toHalf(d);
            out.putShort(half);
            float id = d == 0 ? 0 : 1f / d;
            for (int j = 0; j < 32; j++) {
                out.put((byte) Math.round(values[b * 32 + j] * id));
            }
        }
        return out.array();
    }

    /** float32 to float16 (round half up; normal and subnormal range, which scales of real weights stay in). */
    static short toHalf(float value) {
        int bits = Float.floatToIntBits(value);
        int sign = bits >>> 16 & 0x8000;
        int val = (bits & 0x7fffffff) + 0x1000;
        if (val >= 0x47800000) {
            return (short) (sign | 0x7c00);
        }
        if (val >= 0x38800000) {
            return (short) (sign | val - 0x38000000 >>> 13);
        }
        if (val < 0x33000000) {
            return (short) sign;
        }
        val = (bits & 0x7fffffff) >>> 23;
        return (short) (sign | ((bits & 0x7fffff | 0x800000) + (0x800000 >>> val - 102) >>> 126 - val));
    }

    static String ggufName(String hf) {
        return ggufName(hf, "llama");
    }

    /** llama.cpp's name of HuggingFace tensor {@code hf} in architecture {@code arch}. */
    static String ggufName(String hf, String arch) {
        Map<String, String> global = Map.of("model.embed_tokens.weight", "token_embd.weight",
                "model.norm.weight", "output_norm.weight", "lm_head.weight", "output.weight");
        if (global.containsKey(hf)) {
            return global.get(hf);
        }
        boolean gemma = arch.startsWith("gemma");
        String[] parts = hf.split("\\.", 4); // model, layers, N, rest
        String rest = switch (parts[3]) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "self_attn.q_proj.weight" -> "attn_q.weight";
            case "self_attn.k_proj.weight" -> "attn_k.weight";
            case "self_attn.v_proj.weight" -> "attn_v.weight";
            case "self_attn.q_proj.bias" -> "attn_q.bias";
            case "self_attn.k_proj.bias" -> "attn_k.bias";
            case "self_attn.v_proj.bias" -> "attn_v.bias";
            case "self_attn.qkv_proj.weight" -> "attn_qkv.weight";
            case "self_attn.q_norm.weight" -> "attn_q_norm.weight";
            case "self_attn.k_norm.weight" -> "attn_k_norm.weight";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            // Gemma's post-attention norm follows attention; Llama's is the one before the MLP
            case "post_attention_layernorm.weight" -> gemma ? "post_attention_norm.weight" : "ffn_norm.weight";
            case "pre_feedforward_layernorm.weight" -> "ffn_norm.weight";
            case "post_feedforward_layernorm.weight" -> "post_ffw_norm.weight";
            case "mlp.gate_proj.weight" -> "ffn_gate.weight";
            case "mlp.up_proj.weight", "mlp.gate_up_proj.weight" -> "ffn_up.weight";
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            default -> throw new IllegalArgumentException("no GGUF name for " + hf);
        };
        return "blk." + parts[2] + "." + rest;
    }

    /**
     * A GGUF file holding only the tokenizer of a directory with tokenizer.json and tokenizer_config.json (vocabulary
     * size from the largest id, BOS/EOS from the config's token strings, the chat template if any).
     */
    public static Path tokenizerOnly(Path dir, Path out) throws IOException {
        JsonNode tok = JSON.readTree(dir.resolve("tokenizer.json").toFile());
        JsonNode config = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        Map<String, Integer> ids = new java.util.HashMap<>();
        tok.get("model").get("vocab").fields().forEachRemaining(e -> ids.put(e.getKey(), e.getValue().asInt()));
        tok.path("added_tokens").forEach(a -> ids.put(a.get("content").asText(), a.get("id").asInt()));
        int n = ids.values().stream().mapToInt(Integer::intValue).max().orElseThrow() + 1;
        GgufBytes g = new GgufBytes().string("general.architecture", "llama");
        tokenizer(dir, n, id(config, "bos_token", ids), id(config, "eos_token", ids), g);
        if (config.path("chat_template").isTextual()) {
            g.string("tokenizer.chat_template", config.get("chat_template").asText());
        }
        if (config.has("add_bos_token")) {
            g.bool("tokenizer.ggml.add_bos_token", config.get("add_bos_token").asBoolean());
        }
        Files.write(out, g.build());
        return out;
    }

    private static int id(JsonNode config, String key, Map<String, Integer> ids) {
        JsonNode v = config.get(key);
        String s = v == null || v.isNull() ? null : v.isTextual() ? v.asText() : v.path("content").asText(null);
        return s == null ? -1 : ids.getOrDefault(s, -1);
    }

    private static void tokenizer(Path hfDir, int n, int bos, int eos, GgufBytes g) throws IOException {
        JsonNode tok = JSON.readTree(hfDir.resolve("tokenizer.json").toFile());
        JsonNode model = tok.get("model");
        String[] tokens = new String[n];
        model.get("vocab").fields().forEachRemaining(e -> {
            if (e.getValue().asInt() < n) {
                tokens[e.getValue().asInt()] = e.getKey();
            }
        });
        Set<Integer> special = new HashSet<>();
        Set<Integer> userDefined = new HashSet<>();
        for (JsonNode added : tok.path("added_tokens")) {
            int id = added.get("id").asInt();
            if (id < n) {
                tokens[id] = added.get("content").asText();
                (added.path("special").asBoolean(true) ? special : userDefined).add(id);
            }
        }
        boolean spm = model.path("byte_fallback").asBoolean(false);
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        // SentencePiece scores rank the merges: a token made by merge r scores -r (what the model's own scores
        // order); tokens no merge makes score below every merge result
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) {
            if (tokens[i] != null) {
                ids.putIfAbsent(tokens[i], i);
            }
        }
        int[] types = new int[n];
        float[] scores = new float[n];
        Arrays.fill(scores, Float.NaN);
        for (int r = 0; r < merges.size(); r++) {
            Integer made = ids.get(merges.get(r).replace(" ", ""));
            if (made != null && Float.isNaN(scores[made])) {
                scores[made] = -r;
            }
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                tokens[i] = "<unused" + i + ">";
                special.add(i);
            }
            boolean isByte = spm && tokens[i].length() == 6 && tokens[i].startsWith("<0x");
            types[i] = isByte ? 6 : special.contains(i) ? 3 : userDefined.contains(i) ? 4 : 1;
            if (Float.isNaN(scores[i])) {
                scores[i] = -merges.size() - i;
            }
        }
        g.string("tokenizer.ggml.model", spm ? "llama" : "gpt2");
        g.strings("tokenizer.ggml.tokens", Arrays.asList(tokens));
        g.int32s("tokenizer.ggml.token_type", types);
        if (spm) {
            g.floats("tokenizer.ggml.scores", scores);
        } else {
            g.strings("tokenizer.ggml.merges", merges);
        }
        if (bos >= 0) {
            g.uint32("tokenizer.ggml.bos_token_id", bos);
        }
        if (eos >= 0) {
            g.uint32("tokenizer.ggml.eos_token_id", eos);
        }
        JsonNode unk = model.get("unk_token");
        if (unk != null && unk.isTextual() && model.get("vocab").has(unk.asText())) {
            g.uint32("tokenizer.ggml.unknown_token_id", model.get("vocab").get(unk.asText()).asInt());
        }
        String pre = tok.path("pre_tokenizer").path("type").asText("");
        if (!spm) {
            g.string("tokenizer.ggml.pre", pre.equals("Sequence") ? "qwen2" : "default");
        }
    }

}
