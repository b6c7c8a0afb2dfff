package dev.assistant.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gemma 2's config.json may leave the soft-capping keys out: HuggingFace's {@code Gemma2Config} then caps attention
 * scores at 50 and logits at 30, so must we; an explicit null means no capping; Gemma 3 has none by default.
 */
class GemmaSoftcapDefaultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode gemma(String architecture) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(architecture);
        c.put("hidden_size", 64).put("intermediate_size", 96).put("num_hidden_layers", 2)
                .put("num_attention_heads", 4).put("num_key_value_heads", 2).put("head_dim", 16)
                .put("vocab_size", 100).put("max_position_embeddings", 128).put("sliding_window", 32);
        return c;
    }

    private static Gemma2Settings settings(ObjectNode config) {
        return ModelConfig.parse(config, Path.of("config.json")).gemma2();
    }

    @Test
    void gemma2CapsAt50And30WhenTheKeysAreAbsent() {
        Gemma2Settings s = settings(gemma("Gemma2ForCausalLM"));
        assertThat(s.attentionSoftcap()).isEqualTo(50.0);
        assertThat(s.finalSoftcap()).isEqualTo(30.0);
    }

    @Test
    void nullMeansNoCappingAndValuesAreTakenAsGiven() {
        ObjectNode c = gemma("Gemma2ForCausalLM");
        c.putNull("attn_logit_softcapping");
        c.put("final_logit_softcapping", 12.5);
        Gemma2Settings s = settings(c);
        assertThat(s.attentionSoftcap()).isZero();
        assertThat(s.finalSoftcap()).isEqualTo(12.5);
    }

    @Test
    void gemma3HasNoCappingByDefault() {
        Gemma2Settings s = settings(gemma("Gemma3ForCausalLM"));
        assertThat(s.attentionSoftcap()).isZero();
        assertThat(s.finalSoftcap()).isZero();
    }
}
