package dev.assistant.core.gguf;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How one GGUF {@code general.architecture} maps onto a HuggingFace architecture the engines run: its
 * config.json {@code architectures} name, the tensor names, and what llama.cpp's converter changed in the values.
 * Only Llama's q/k rows are permuted into interleaved RoPE pairs (Qwen2/3, Gemma and Phi-3 use rotate-half RoPE in
 * llama.cpp too and are stored as is); Gemma's RMSNorm weights are stored as 1 + w, as they multiply.
 * Table-driven so that further families add one entry.
 *
 * @param permutedQk    q/k rows are in llama.cpp's interleaved order
 * @param attentionBias q/k/v carry biases
 * @param normPlusOne   every {@code *norm.weight} holds 1 + w (HuggingFace's Gemma stores w)
 * @param blockNames    per-layer GGUF tensor name suffix to HuggingFace's
 */
public record GgufArchitecture(String ggufName, String hfName, boolean permutedQk, boolean attentionBias,
                               boolean normPlusOne, Map<String, String> blockNames) {

    /** GGUF tensor names shared by every family here and their HuggingFace names. */
    private static final Map<String, String> GLOBAL_NAMES = Map.of(
            "token_embd.weight", "model.embed_tokens.weight",
            "output_norm.weight", "model.norm.weight",
            "output.weight", "lm_head.weight");
    private static final Map<String, String> ATTENTION = Map.of(
            "attn_q.weight", "self_attn.q_proj.weight",
            "attn_k.weight", "self_attn.k_proj.weight",
            "attn_v.weight", "self_attn.v_proj.weight",
            "attn_output.weight", "self_attn.o_proj.weight");
    private static final Map<String, String> BIASES = Map.of(
            "attn_q.bias", "self_attn.q_proj.bias",
            "attn_k.bias", "self_attn.k_proj.bias",
            "attn_v.bias", "self_attn.v_proj.bias");
    private static final Map<String, String> HEAD_NORMS = Map.of(
            "attn_q_norm.weight", "self_attn.q_norm.weight",
            "attn_k_norm.weight", "self_attn.k_norm.weight");
    private static final Map<String, String> SWIGLU = Map.of(
            "ffn_gate.weight", "mlp.gate_proj.weight",
            "ffn_up.weight", "mlp.up_proj.weight",
            "ffn_down.weight", "mlp.down_proj.weight");
    /** Llama's two norms; Gemma's four (llama.cpp's ffn_norm is Gemma's pre-feedforward norm). */
    private static final Map<String, String> LLAMA_NORMS = Map.of(
            "attn_norm.weight", "input_layernorm.weight",
            "ffn_norm.weight", "post_attention_layernorm.weight");
    private static final Map<String, String> GEMMA_NORMS = Map.of(
            "attn_norm.weight", "input_layernorm.weight",
            "post_attention_norm.weight", "post_attention_layernorm.weight",
            "ffn_norm.weight", "pre_feedforward_layernorm.weight",
            "post_ffw_norm.weight", "post_feedforward_layernorm.weight");
    /** Phi-3: llama.cpp keeps q|k|v as one attn_qkv and gate|up as one ffn_up, as HuggingFace does. */
    private static final Map<String, String> PHI3 = Map.of(
            "attn_qkv.weight", "self_attn.qkv_proj.weight",
            "attn_output.weight", "self_attn.o_proj.weight",
            "ffn_up.weight", "mlp.gate_up_proj.weight",
            "ffn_down.weight", "mlp.down_proj.weight");

    private static final Map<String, GgufArchitecture> TABLE = Map.of(
            "llama", new GgufArchitecture("llama", "LlamaForCausalLM", true, false, false,
                    names(LLAMA_NORMS, ATTENTION, BIASES, SWIGLU)),
            "qwen2", new GgufArchitecture("qwen2", "Qwen2ForCausalLM", false, true, false,
                    names(LLAMA_NORMS, ATTENTION, BIASES, SWIGLU)),
            "qwen3", new GgufArchitecture("qwen3", "Qwen3ForCausalLM", false, false, false,
                    names(LLAMA_NORMS, ATTENTION, HEAD_NORMS, SWIGLU)),
            "gemma2", new GgufArchitecture("gemma2", "Gemma2ForCausalLM", false, false, true,
                    names(GEMMA_NORMS, ATTENTION, SWIGLU)),
            "gemma3", new GgufArchitecture("gemma3", "Gemma3ForCausalLM", false, false, true,
                    names(GEMMA_NORMS, ATTENTION, HEAD_NORMS, SWIGLU)),
            "phi3", new GgufArchitecture("phi3", "Phi3ForCausalLM", false, false, false,
                    names(LLAMA_NORMS, PHI3)));
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d{1,4})\\.(.+)");

    public GgufArchitecture {
        blockNames = Map.copyOf(blockNames);
    }

    @SafeVarargs
    private static Map<String, String> names(Map<String, String>... parts) {
        Map<String, String> all = new HashMap<>();
        for (Map<String, String> part : parts) {
            all.putAll(part);
        }
        return all;
    }

    /**
     * The entry for {@code file}'s {@code general.architecture}.
     *
     * @throws AssistantException {@code MODEL_INVALID} naming an architecture that is missing or not supported
     */
    public static GgufArchitecture of(GgufFile file) {
        String name = file.string("general.architecture").orElseThrow(() -> new AssistantException(
                ErrorCode.MODEL_INVALID, "GGUF file " + file.path() + " has no general.architecture"));
        GgufArchitecture a = TABLE.get(name);
        if (a == null) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF architecture '" + name + "' of "
                    + file.path() + " is not supported; supported: " + String.join(", ", new TreeMap<>(TABLE).keySet()));
        }
        return a;
    }

    /** The HuggingFace name of GGUF tensor {@code ggufName}, or empty for a tensor the engines do not use. */
    public Optional<String> hfTensorName(String ggufName) {
        String global = GLOBAL_NAMES.get(ggufName);
        if (global != null) {
            return Optional.of(global);
        }
        Matcher m = BLOCK.matcher(ggufName);
        if (m.matches()) {
            String rest = blockNames.get(m.group(2));
            if (rest != null) {
                return Optional.of("model.layers." + Integer.parseInt(m.group(1)) + "." + rest);
            }
        }
        return Optional.empty();
    }

    /** Whether the stored values of HuggingFace tensor {@code hfName} are 1 + w (Gemma's norms). */
    public boolean storesNormPlusOne(String hfName) {
        return normPlusOne && hfName.endsWith("norm.weight");
    }

    /** The metadata key {@code suffix} under this architecture's prefix, e.g. {@code llama.block_count}. */
    public String key(String suffix) {
        return ggufName + "." + suffix;
    }

}
