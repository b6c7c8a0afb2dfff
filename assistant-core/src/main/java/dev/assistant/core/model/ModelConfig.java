package dev.assistant.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.QuantScheme;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The shape of a model, read from HuggingFace's {@code config.json} and validated.
 *
 * <p>Field names follow the Llama convention; GPT-2's names ({@code n_embd}, {@code n_layer}, ...) are mapped onto
 * them. Every value the engine relies on is checked here, so a bad config fails at load with
 * {@link ErrorCode#MODEL_INVALID} naming the field, not with a shape error deep in a forward pass.
 */
public record ModelConfig(
        Architecture architecture,
        String architectureName,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int maxPositionEmbeddings,
        double normEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean attentionBias,
        boolean mlpBias,
        boolean tieWordEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds,
        QuantScheme quantizationScheme,
        Gemma2Settings gemma2,
        BlockFormat blockQuantization) {

    /**
     * Upper bounds far above any released model of the supported families, below what would make a load try to
     * allocate absurd amounts before the weights could contradict the config: a config over them is
     * {@code MODEL_INVALID} at once.
     */
    static final int MAX_HIDDEN = 1 << 16;
    static final int MAX_INTERMEDIATE = 1 << 19;
    static final int MAX_LAYERS = 1024;
    static final int MAX_HEADS = 1024;
    static final int MAX_HEAD_DIM = 1024;
    static final int MAX_VOCAB = 1 << 22;
    static final int MAX_POSITIONS = 1 << 24;

    /** The {@code quant_method} this SDK writes and reads in {@code quantization_config}. */
    public static final String QUANT_METHOD = "assistant-int8";

    /**
     * The {@code quant_method} of a directory whose linear layers {@code assistant quantize --dtype q4} stored as ggml
     * Q4_0 blocks (scheme {@link #Q4_SCHEME}).
     */
    public static final String BLOCK_QUANT_METHOD = "assistant-blocks";
    public static final String Q4_SCHEME = "ggml-q4_0-g32";

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Gemma 2's and Gemma 3's attention and logit settings; empty for the other architectures. */
    public java.util.Optional<Gemma2Settings> gemma2Settings() {
        return java.util.Optional.ofNullable(gemma2);
    }

    /** The INT8 scheme of a directory written by {@code assistant quantize}; empty for float weights. */
    public Optional<QuantScheme> quantization() {
        return Optional.ofNullable(quantizationScheme);
    }

    /** The block format of a directory written by {@code assistant quantize --dtype q4}; empty otherwise. */
    public Optional<BlockFormat> blockFormat() {
        return Optional.ofNullable(blockQuantization);
    }

    /** Parses a config.json tree. {@code file} is only used in messages. */
    public static ModelConfig parse(JsonNode root, Path file) {
        Reader r = new Reader(root, file);
        JsonNode archs = root.get("architectures");
        String name;
        if (archs != null && archs.isArray() && archs.size() > 0) {
            name = archs.get(0).asText();
        } else if (root.hasNonNull("model_type")) {
            name = switch (root.get("model_type").asText()) {
                case "llama" -> "LlamaForCausalLM";
                case "mistral" -> "MistralForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                case "qwen3" -> "Qwen3ForCausalLM";
                case "gemma2" -> "Gemma2ForCausalLM";
                case "gemma3_text" -> "Gemma3ForCausalLM";
                case "phi3" -> "Phi3ForCausalLM";
                case "gpt2" -> "GPT2LMHeadModel";
                default -> root.get("model_type").asText();
            };
        } else {
            throw r.invalid("architectures", "is missing (and there is no model_type)");
        }
        Architecture arch = Architecture.fromHfName(name);
        return switch (arch) {
            case GPT2 -> parseGpt2(r, name);
            case GEMMA2, GEMMA3 -> parseGemma(r, name, arch);
            default -> parseLlama(r, name, arch);
        };
    }

    private static ModelConfig parseLlama(Reader r, String name, Architecture arch) {
        int hidden = r.positiveInt("hidden_size", MAX_HIDDEN);
        int heads = r.positiveInt("num_attention_heads", MAX_HEADS);
        int kvHeads = r.optionalPositiveInt("num_key_value_heads", heads, MAX_HEADS);
        if (hidden / heads < 1 && !r.has("head_dim")) {
            throw r.invalid("num_attention_heads", heads + " is more than hidden_size " + hidden);
        }
        int headDim = r.optionalPositiveInt("head_dim", hidden / heads, MAX_HEAD_DIM);
        if (heads % kvHeads != 0) {
            throw r.invalid("num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        if (headDim % 2 != 0) {
            throw r.invalid("head_dim", headDim + " is odd; rotary embeddings need an even head size");
        }
        String act = r.optionalText("hidden_act", "silu");
        if (!act.equals("silu") && !act.equals("swish")) {
            throw r.invalid("hidden_act", "'" + act + "' is not supported for " + name + " (supported: silu)");
        }
        if (r.optionalPositiveDouble("partial_rotary_factor", 1.0) != 1.0) {
            throw r.invalid("partial_rotary_factor", "is not supported for " + name + " (only 1.0, a full rotation)");
        }
        boolean qwen2 = name.equals("Qwen2ForCausalLM");
        // Qwen2/Qwen3 configs carry a sliding_window that only applies with use_sliding_window
        boolean qwen = (qwen2 || arch == Architecture.QWEN3) && !r.optionalBoolean("use_sliding_window", false);
        int maxPos = r.positiveInt("max_position_embeddings", MAX_POSITIONS);
        // LongRoPE (Phi-3 only) scales by the configured context, before any window caps it
        RopeScaling ropeScaling = r.ropeScaling(arch == Architecture.PHI3 ? headDim : 0, maxPos);
        int slidingWindow = r.optionalPositiveInt("sliding_window", 0, MAX_POSITIONS);
        if (slidingWindow > 0 && slidingWindow < maxPos && !qwen) {
            // Attention beyond the window would differ from the model's training; cap the context instead.
            maxPos = slidingWindow;
        }
        return new ModelConfig(arch, name, hidden, r.positiveInt("intermediate_size", MAX_INTERMEDIATE),
                r.positiveInt("num_hidden_layers", MAX_LAYERS), heads, kvHeads, headDim,
                r.positiveInt("vocab_size", MAX_VOCAB), maxPos,
                r.optionalPositiveDouble("rms_norm_eps", 1e-6), r.optionalPositiveDouble("rope_theta", 10000.0),
                ropeScaling, r.optionalBoolean("attention_bias", qwen2), r.optionalBoolean("mlp_bias", false),
                r.optionalBoolean("tie_word_embeddings", false), r.optionalInt("bos_token_id", -1),
                r.intList("eos_token_id"), r.quantization(), null, r.blockQuantization());
    }

    private static ModelConfig parseGemma(Reader r, String name, Architecture arch) {
        boolean gemma3 = arch == Architecture.GEMMA3;
        int hidden = r.positiveInt("hidden_size", MAX_HIDDEN);
        int heads = r.positiveInt("num_attention_heads", MAX_HEADS);
        int kvHeads = r.optionalPositiveInt("num_key_value_heads", heads, MAX_HEADS);
        if (heads % kvHeads != 0) {
            throw r.invalid("num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        int headDim = r.optionalPositiveInt("head_dim", 256, MAX_HEAD_DIM);
        if (headDim % 2 != 0) {
            throw r.invalid("head_dim", headDim + " is odd; rotary embeddings need an even head size");
        }
        String actField = r.has("hidden_activation") ? "hidden_activation" : "hidden_act";
        String act = r.optionalText(actField, "gelu_pytorch_tanh");
        if (!act.equals("gelu_pytorch_tanh") && !act.equals("gelu_tanh")) {
            throw r.invalid(actField, "'" + act + "' is not supported for " + name + " (supported: gelu_pytorch_tanh)");
        }
        int layers = r.positiveInt("num_hidden_layers", MAX_LAYERS);
        // Gemma 2 alternates (every 2nd layer global), Gemma 3 has one global layer in 6; newer configs list them
        int pattern = gemma3 ? r.optionalPositiveInt("sliding_window_pattern", 6, MAX_LAYERS) : 2;
        List<Boolean> sliding = r.layerTypes(layers, pattern);
        // Gemma 3 rotates the sliding layers with a base of their own (and no rope_scaling); 0: as the global ones
        double localTheta = gemma3 ? r.optionalPositiveDouble("rope_local_base_freq", 10000.0) : 0;
        Gemma2Settings gemma = new Gemma2Settings(r.optionalPositiveDouble("query_pre_attn_scalar", headDim),
                r.optionalPositiveInt("sliding_window", 4096, MAX_POSITIONS),
                // HF's Gemma2Config caps by default (50 and 30) when the keys are absent; null means no capping
                r.softcap("attn_logit_softcapping", gemma3 ? 0 : 50.0), r.softcap("final_logit_softcapping", gemma3 ? 0 : 30.0),
                sliding, localTheta);
        return new ModelConfig(arch, name, hidden, r.positiveInt("intermediate_size", MAX_INTERMEDIATE),
                layers, heads, kvHeads, headDim,
                r.positiveInt("vocab_size", MAX_VOCAB), r.positiveInt("max_position_embeddings", MAX_POSITIONS),
                r.optionalPositiveDouble("rms_norm_eps", 1e-6),
                r.optionalPositiveDouble("rope_theta", gemma3 ? 1_000_000.0 : 10000.0),
                r.ropeScaling(), r.optionalBoolean("attention_bias", false), false,
                r.optionalBoolean("tie_word_embeddings", true), r.optionalInt("bos_token_id", -1),
                r.intList("eos_token_id"), r.quantization(), gemma, r.blockQuantization());
    }

    private static ModelConfig parseGpt2(Reader r, String name) {
        int hidden = r.positiveInt("n_embd", MAX_HIDDEN);
        int heads = r.positiveInt("n_head", MAX_HEADS);
        if (hidden % heads != 0) {
            throw r.invalid("n_head", heads + " does not divide n_embd " + hidden);
        }
        String act = r.optionalText("activation_function", "gelu_new");
        if (!act.equals("gelu_new")) {
            throw r.invalid("activation_function", "'" + act + "' is not supported (supported: gelu_new)");
        }
        int inner = r.optionalPositiveInt("n_inner", 4 * hidden, MAX_INTERMEDIATE);
        return new ModelConfig(Architecture.GPT2, name, hidden, inner,
                r.positiveInt("n_layer", MAX_LAYERS), heads, heads, hidden / heads, r.positiveInt("vocab_size", MAX_VOCAB),
                r.positiveInt("n_positions", MAX_POSITIONS), r.optionalPositiveDouble("layer_norm_epsilon", 1e-5), 0,
                RopeScaling.NONE, true, true, r.optionalBoolean("tie_word_embeddings", true),
                r.optionalInt("bos_token_id", -1), r.intList("eos_token_id"), r.quantization(), null, r.blockQuantization());
    }

    /** Number of key/value heads sharing one query group. */
    public int queryGroups() {
        return numHeads / numKvHeads;
    }

    /** Reads typed fields and names the field and file in every error. */
    private static final class Reader {
        private final JsonNode root;
        private final Path file;

        Reader(JsonNode root, Path file) {
            this.root = root;
            this.file = file;
        }

        AssistantException invalid(String field, String what) {
            return new AssistantException(ErrorCode.MODEL_INVALID, "invalid " + file + ": field '" + field + "' " + what);
        }

        boolean has(String field) {
            return root.hasNonNull(field);
        }

        int positiveInt(String field, int max) {
            JsonNode n = root.get(field);
            if (n == null || n.isNull()) {
                throw invalid(field, "is missing");
            }
            return checkPositive(field, n, max);
        }

        int optionalPositiveInt(String field, int fallback, int max) {
            JsonNode n = root.get(field);
            if (n == null || n.isNull()) {
                return fallback;
            }
            return checkPositive(field, n, max);
        }

        private int checkPositive(String field, JsonNode n, int max) {
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() <= 0) {
                throw invalid(field, "must be a positive integer, was " + shown(n));
            }
            if (n.asLong() > max) {
                throw invalid(field, "is " + n.asLong() + ", above the largest this SDK accepts (" + max + ")");
            }
            return n.asInt();
        }

        /** A value for a message: short, whatever the file holds. */
        private static String shown(JsonNode n) {
            String text = n.toString();
            return text.length() <= 40 ? text : text.substring(0, 40) + "...";
        }

        int optionalInt(String field, int fallback) {
            JsonNode n = root.get(field);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (n.isArray() && n.size() > 0 && n.get(0).isIntegralNumber()) {
                return n.get(0).asInt();
            }
            if (!n.isIntegralNumber()) {
                throw invalid(field, "must be an integer, was " + n);
            }
            return n.asInt();
        }

        double optionalPositiveDouble(String field, double fallback) {
            JsonNode n = root.get(field);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isNumber() || !(n.asDouble() > 0) || Double.isInfinite(n.asDouble())) {
                throw invalid(field, "must be a positive number, was " + n);
            }
            return n.asDouble();
        }

        /** A soft-capping value: {@code absent} when the key is missing, 0 (none) when it is null. */
        double softcap(String field, double absent) {
            JsonNode n = root.get(field);
            if (n == null) {
                return absent;
            }
            return n.isNull() ? 0 : optionalPositiveDouble(field, 0);
        }

        boolean optionalBoolean(String field, boolean fallback) {
            JsonNode n = root.get(field);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isBoolean()) {
                throw invalid(field, "must be true or false, was " + n);
            }
            return n.asBoolean();
        }

        String optionalText(String field, String fallback) {
            JsonNode n = root.get(field);
            return n == null || n.isNull() ? fallback : n.asText();
        }

        List<Integer> intList(String field) {
            JsonNode n = root.get(field);
            List<Integer> out = new ArrayList<>();
            if (n == null || n.isNull()) {
                return out;
            }
            if (n.isIntegralNumber()) {
                out.add(n.asInt());
            } else if (n.isArray()) {
                for (JsonNode e : n) {
                    if (!e.isIntegralNumber()) {
                        throw invalid(field, "must hold integers, was " + n);
                    }
                    out.add(e.asInt());
                }
            } else {
                throw invalid(field, "must be an integer or a list of integers, was " + n);
            }
            return out;
        }

        /**
         * Which layers attend through the sliding window: {@code layer_types} ("sliding_attention" /
         * "full_attention") when the config lists them, else every layer but each {@code pattern}-th.
         */
        List<Boolean> layerTypes(int layers, int pattern) {
            JsonNode n = root.get("layer_types");
            List<Boolean> out = new ArrayList<>(layers);
            if (n == null || n.isNull()) {
                for (int i = 0; i < layers; i++) {
                    out.add((i + 1) % pattern != 0);
                }
                return out;
            }
            if (!n.isArray() || n.size() != layers) {
                throw invalid("layer_types", "must list one type per layer (" + layers + "), was " + shown(n));
            }
            for (JsonNode t : n) {
                switch (t.asText()) {
                    case "sliding_attention" -> out.add(true);
                    case "full_attention" -> out.add(false);
                    default -> throw invalid("layer_types", "holds '" + shown(t)
                            + "' (supported: sliding_attention, full_attention)");
                }
            }
            return out;
        }

        /** Phi-3's LongRoPE: both factor lists, the trained context and the attention factor (HF's defaults). */
        private RopeScaling longRope(JsonNode n, int headDim, int maxPositions) {
            List<Double> shortFactor = factorList(n, "short_factor", headDim / 2);
            List<Double> longFactor = factorList(n, "long_factor", headDim / 2);
            JsonNode originalNode = n.hasNonNull("original_max_position_embeddings")
                    ? n.get("original_max_position_embeddings") : root.get("original_max_position_embeddings");
            int original = originalNode != null && originalNode.isIntegralNumber() && originalNode.asInt() > 0
                    ? originalNode.asInt() : maxPositions;
            double scale = originalNode != null ? (double) maxPositions / original : n.path("factor").asDouble(1.0);
            double attention;
            if (n.hasNonNull("attention_factor")) {
                attention = n.get("attention_factor").asDouble();
                if (!(attention > 0) || Double.isInfinite(attention)) {
                    throw invalid("rope_scaling.attention_factor", "must be a positive number, was " + shown(n.get("attention_factor")));
                }
            } else {
                attention = scale > 1 ? Math.sqrt(1 + Math.log(scale) / Math.log(original)) : 1.0;
            }
            return new RopeScaling("longrope", scale, 0, 0, original,
                    new LongRope(shortFactor, longFactor, original, attention));
        }

        private List<Double> factorList(JsonNode n, String field, int size) {
            JsonNode list = n.get(field);
            if (list == null || !list.isArray() || list.size() != size) {
                throw invalid("rope_scaling." + field, "must list head_dim / 2 = " + size + " numbers");
            }
            List<Double> out = new ArrayList<>(size);
            for (JsonNode v : list) {
                if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                    throw invalid("rope_scaling." + field, "must hold positive numbers, was " + shown(v));
                }
                out.add(v.asDouble());
            }
            return out;
        }

        /** {@code quantization_config}: only this SDK's own INT8 and block formats are understood. */
        QuantScheme quantization() {
            JsonNode n = root.get("quantization_config");
            if (n == null || n.isNull()) {
                return null;
            }
            String method = n.path("quant_method").asText("");
            if (method.equals(BLOCK_QUANT_METHOD)) {
                return null;
            }
            if (!method.equals(QUANT_METHOD)) {
                throw invalid("quantization_config.quant_method", "'" + method + "' is not supported by this SDK build "
                        + "(supported: " + QUANT_METHOD + ", " + BLOCK_QUANT_METHOD + "); use the original float "
                        + "weights or re-quantize with 'assistant quantize'");
            }
            try {
                return QuantScheme.parse(n.path("scheme").asText(""));
            } catch (AssistantException e) {
                throw invalid("quantization_config.scheme", "cannot be read by this SDK build: " + e.getMessage());
            }
        }

        /** {@code quantization_config} of a block-quantized directory, or null. */
        BlockFormat blockQuantization() {
            JsonNode n = root.get("quantization_config");
            if (n == null || n.isNull() || !n.path("quant_method").asText("").equals(BLOCK_QUANT_METHOD)) {
                return null;
            }
            String scheme = n.path("scheme").asText("");
            if (!scheme.equals(Q4_SCHEME)) {
                throw invalid("quantization_config.scheme", "'" + scheme + "' cannot be read by this SDK build "
                        + "(supported: " + Q4_SCHEME + ")");
            }
            return BlockFormat.Q4_0;
        }

        RopeScaling ropeScaling() {
            return ropeScaling(0, 0);
        }

        /**
         * {@code rope_scaling}; {@code longRopeHeadDim} > 0 accepts Phi-3's longrope/su with factors for that head
         * size, the model's context being {@code maxPositions}.
         */
        RopeScaling ropeScaling(int longRopeHeadDim, int maxPositions) {
            JsonNode n = root.get("rope_scaling");
            if (n == null || n.isNull()) {
                return RopeScaling.NONE;
            }
            if (!n.isObject()) {
                throw invalid("rope_scaling", "must be an object or null, was " + n);
            }
            String type = n.hasNonNull("rope_type") ? n.get("rope_type").asText()
                    : n.hasNonNull("type") ? n.get("type").asText() : "";
            double factor = n.path("factor").asDouble(1.0);
            switch (type) {
                case "default":
                    return RopeScaling.NONE;
                case "linear":
                    if (!(factor > 0)) {
                        throw invalid("rope_scaling.factor", "must be positive, was " + n.get("factor"));
                    }
                    return new RopeScaling("linear", factor, 0, 0, 0);
                case "llama3": {
                    double low = n.path("low_freq_factor").asDouble(Double.NaN);
                    double high = n.path("high_freq_factor").asDouble(Double.NaN);
                    int original = n.path("original_max_position_embeddings").asInt(0);
                    if (!(factor > 0) || !(low > 0) || !(high > low) || original <= 0) {
                        throw invalid("rope_scaling", "of type llama3 needs factor > 0, 0 < low_freq_factor < "
                                + "high_freq_factor and original_max_position_embeddings > 0, was " + n);
                    }
                    return new RopeScaling("llama3", factor, low, high, original);
                }
                case "longrope", "su":
                    if (longRopeHeadDim > 0) {
                        return longRope(n, longRopeHeadDim, maxPositions);
                    }
                    throw invalid("rope_scaling", "type '" + type + "' is supported for Phi-3 only");
                default:
                    throw invalid("rope_scaling", "type '" + type + "' is not supported (supported: linear, llama3"
                            + (longRopeHeadDim > 0 ? ", longrope" : "") + ")");
            }
        }
    }
}
