package dev.assistant.core.model;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** The model families the engine can run, keyed by the {@code architectures} names of HuggingFace's config.json. */
public enum Architecture {
    /** Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama: RMSNorm, rotate-half RoPE, SwiGLU, grouped-query attention. */
    LLAMA(List.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM")),
    /**
     * Qwen3: the Llama layout plus a per-head RMSNorm on queries and keys before RoPE ({@code q_norm}/{@code k_norm},
     * one weight of head_dim each), no q/k/v bias, and a head_dim of its own (not always hidden / heads).
     */
    QWEN3(List.of("Qwen3ForCausalLM")),
    /**
     * Gemma 2: embeddings scaled by sqrt(hidden), RMSNorm with (1 + w), norms before and after attention and MLP,
     * GeGLU with tanh GELU, sliding-window and global attention alternating, soft-capped attention scores and logits.
     */
    GEMMA2(List.of("Gemma2ForCausalLM")),
    /**
     * Gemma 3 (text): Gemma 2's layout plus a per-head RMSNorm (1 + w) on queries and keys before RoPE, a RoPE base
     * of its own on the sliding layers ({@code rope_local_base_freq}), one global layer in every
     * {@code sliding_window_pattern} (6), usually no soft-capping.
     */
    GEMMA3(List.of("Gemma3ForCausalLM")),
    /**
     * Phi-3: the Llama layout with q|k|v stored as one {@code qkv_proj} and gate|up as one {@code gate_up_proj}.
     * LongRoPE ({@code rope_scaling} type longrope/su, Phi-3.5 and the 128k models) rescales each rotary frequency.
     */
    PHI3(List.of("Phi3ForCausalLM")),
    /** GPT-2: LayerNorm, learned positions, Conv1D weights, fused c_attn, gelu_new. */
    GPT2(List.of("GPT2LMHeadModel"));

    private final List<String> hfNames;

    Architecture(List<String> hfNames) {
        this.hfNames = hfNames;
    }

    public List<String> hfNames() {
        return hfNames;
    }

    /** All HuggingFace architecture names this SDK supports. */
    public static String supportedNames() {
        return Arrays.stream(values()).flatMap(a -> a.hfNames.stream()).collect(Collectors.joining(", "));
    }

    /**
     * The architecture for a config.json {@code architectures} entry.
     *
     * @throws AssistantException {@code MODEL_INVALID} naming the architecture and the supported list
     */
    public static Architecture fromHfName(String name) {
        for (Architecture a : values()) {
            if (a.hfNames.contains(name)) {
                return a;
            }
        }
        throw new AssistantException(ErrorCode.MODEL_INVALID, "unsupported model architecture '" + name
                + "'; supported: " + supportedNames());
    }
}
