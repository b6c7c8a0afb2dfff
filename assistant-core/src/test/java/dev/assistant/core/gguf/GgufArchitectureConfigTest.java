package dev.assistant.core.gguf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the GGUF metadata of the Gemma and Phi-3 families implies where GGUF stores less than config.json: the query
 * scale llama.cpp derives from the shape, its soft-capping defaults, Gemma 3's fixed window pattern and local RoPE
 * base, and LongRoPE's two factor tensors, which must come together.
 */
class GgufArchitectureConfigTest {
    private static final int HIDDEN = 64;
    private static final int HEADS = 4;

    @TempDir
    Path tmp;

    private GgufBytes header(String arch, int layers) {
        return new GgufBytes()
                .string("general.architecture", arch)
                .uint32(arch + ".context_length", 128)
                .uint32(arch + ".embedding_length", HIDDEN)
                .uint32(arch + ".block_count", layers)
                .uint32(arch + ".feed_forward_length", 96)
                .uint32(arch + ".attention.head_count", HEADS)
                .uint32(arch + ".attention.head_count_kv", 2)
                .uint32(arch + ".attention.key_length", 8)
                .tensor("token_embd.weight", GgmlType.F32.id(), new long[]{HIDDEN, 10}, GgufBytes.f32(new float[HIDDEN * 10]));
    }

    private ObjectNode config(GgufBytes g) throws IOException {
        Path file = Files.write(tmp.resolve("m" + System.nanoTime() + ".gguf"), g.build());
        try (GgufFile f = GgufFile.open(file)) {
            return GgufModel.of(f).configJson();
        }
    }

    @Test
    void gemmaTakesHeadDimAsTheQueryScaleExceptForThe27bShapes() throws IOException {
        assertThat(config(header("gemma2", 26)).get("query_pre_attn_scalar").asInt()).isEqualTo(8);
        assertThat(config(header("gemma2", 46)).get("query_pre_attn_scalar").asInt()).isEqualTo(HIDDEN / HEADS);
        assertThat(config(header("gemma3", 26)).get("query_pre_attn_scalar").asInt()).isEqualTo(8);
        assertThat(config(header("gemma3", 62)).get("query_pre_attn_scalar").asInt()).isEqualTo(HIDDEN / HEADS);
    }

    @Test
    void gemma2CapsAt50And30UnlessTheFileSaysOtherwise() throws IOException {
        ObjectNode defaults = config(header("gemma2", 26));
        assertThat(defaults.get("attn_logit_softcapping").asDouble()).isEqualTo(50.0);
        assertThat(defaults.get("final_logit_softcapping").asDouble()).isEqualTo(30.0);
        ObjectNode set = config(header("gemma2", 26).float32("gemma2.attn_logit_softcapping", 2f)
                .float32("gemma2.final_logit_softcapping", 5f));
        assertThat(set.get("attn_logit_softcapping").asDouble()).isEqualTo(2.0);
        assertThat(set.get("final_logit_softcapping").asDouble()).isEqualTo(5.0);
    }

    @Test
    void gemma3HasTheFixedPatternTheLocalBaseAndNoCapping() throws IOException {
        ObjectNode c = config(header("gemma3", 26).float32("gemma3.rope.freq_base", 1e6f)
                .string("gemma3.rope.scaling.type", "linear").float32("gemma3.rope.scaling.factor", 8f));
        assertThat(c.get("architectures").get(0).asText()).isEqualTo("Gemma3ForCausalLM");
        assertThat(c.get("sliding_window_pattern").asInt()).isEqualTo(6);
        assertThat(c.get("rope_local_base_freq").asDouble()).isEqualTo(10000.0);
        assertThat(c.get("rope_theta").asDouble()).isEqualTo(1e6);
        assertThat(c.get("rope_scaling").get("factor").asDouble()).isEqualTo(8.0);
        assertThat(c.has("attn_logit_softcapping")).isFalse();
        assertThat(c.has("final_logit_softcapping")).isFalse();
    }

    @Test
    void anUnknownRopeScalingTypeIsRefusedNamingIt() {
        assertThatThrownBy(() -> config(header("gemma3", 26).string("gemma3.rope.scaling.type", "yarn")))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("yarn");
    }

    @Test
    void phi3LongRopeFactorsComeAsAPair() throws IOException {
        float[] factors = {1, 2, 3, 4};
        ObjectNode c = config(header("phi3", 2).uint32("phi3.rope.scaling.original_context_length", 32)
                .float32("phi3.rope.scaling.attn_factor", 1.25f)
                .tensor("rope_factors_long.weight", GgmlType.F32.id(), new long[]{4}, GgufBytes.f32(factors))
                .tensor("rope_factors_short.weight", GgmlType.F32.id(), new long[]{4}, GgufBytes.f32(new float[]{1, 1, 1, 1})));
        assertThat(c.get("rope_scaling").get("type").asText()).isEqualTo("longrope");
        assertThat(c.get("rope_scaling").get("long_factor").toString()).isEqualTo("[1.0,2.0,3.0,4.0]");
        assertThat(c.get("rope_scaling").get("attention_factor").asDouble()).isEqualTo(1.25);
        assertThat(c.get("original_max_position_embeddings").asInt()).isEqualTo(32);
        assertThatThrownBy(() -> config(header("phi3", 2)
                .tensor("rope_factors_long.weight", GgmlType.F32.id(), new long[]{4}, GgufBytes.f32(factors))))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("rope_factors_short.weight");
    }
}
