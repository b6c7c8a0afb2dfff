package dev.assistant.core.gguf;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How one GGUF {@code general.architecture} maps onto a HuggingFace architecture the engines run: its
 * config.json {@code architectures} name, the tensor names, and whether llama.cpp's converter permuted the q/k rows
 * into interleaved RoPE pairs (Llama does; Qwen2 uses rotate-half RoPE in llama.cpp too and is stored as is).
 * Table-driven so that further families add one entry.
 */
public record GgufArchitecture(String ggufName, String hfName, boolean permutedQk, boolean attentionBias) {
    private static final Map<String, GgufArchitecture> TABLE = Map.of(
            "llama", new GgufArchitecture("llama", "LlamaForCausalLM", true, false),
            "qwen2", new GgufArchitecture("qwen2", "Qwen2ForCausalLM", false, true));

    /** GGUF tensor names of the Llama-style families and their HuggingFace names. */
    private static final Map<String, String> GLOBAL_NAMES = Map.of(
            "token_embd.weight", "model.embed_tokens.weight",
            "output_norm.weight", "model.norm.weight",
            "output.weight", "lm_head.weight");
    private static final Map<String, String> BLOCK_NAMES = Map.ofEntries(
            Map.entry("attn_norm.weight", "input_layernorm.weight"),
            Map.entry("attn_q.weight", "self_attn.q_proj.weight"),
            Map.entry("attn_k.weight", "self_attn.k_proj.weight"),
            Map.entry("attn_v.weight", "self_attn.v_proj.weight"),
            Map.entry("attn_q.bias", "self_attn.q_proj.bias"),
            Map.entry("attn_k.bias", "self_attn.k_proj.bias"),
            Map.entry("attn_v.bias", "self_attn.v_proj.bias"),
            Map.entry("attn_output.weight", "self_attn.o_proj.weight"),
            Map.entry("ffn_norm.weight", "post_attention_layernorm.weight"),
            Map.entry("ffn_gate.weight", "mlp.gate_proj.weight"),
            Map.entry("ffn_up.weight", "mlp.up_proj.weight"),
            Map.entry("ffn_down.weight", "mlp.down_proj.weight"));
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d{1,4})\\.(.+)");

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
            String rest = BLOCK_NAMES.get(m.group(2));
            if (rest != null) {
                return Optional.of("model.layers." + Integer.parseInt(m.group(1)) + "." + rest);
            }
        }
        return Optional.empty();
    }

    /** The metadata key {@code suffix} under this architecture's prefix, e.g. {@code llama.block_count}. */
    public String key(String suffix) {
        return ggufName + "." + suffix;
    }

}
