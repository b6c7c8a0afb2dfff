package dev.assistant.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.core.safetensors.SafetensorsWriter;
import dev.assistant.core.tokenizer.ByteLevelBpeTokenizerWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static dev.assistant.core.testing.RandomTensors.matrix;
import static dev.assistant.core.testing.RandomTensors.onePlusNorm;

/**
 * A small random-weight Gemma 3 (text) model in HuggingFace layout, sized so that every Gemma 3 feature changes the
 * result of a short prompt: 7 layers with the default window pattern of 6 (layer 5 global, the others sliding over
 * 4 positions), per-head q/k norms, a global RoPE base of 10^6 with linear scaling 2 beside a local base of 10^4, a
 * query scale that can differ from head_dim, norm weights w drawn around 0 (the norms multiply by 1 + w), a tied
 * head, no soft-capping.
 */
public final class Gemma3TestModel {
    public static final int HIDDEN = 48;
    public static final int LAYERS = 7;
    public static final int HEADS = 4;
    public static final int KV_HEADS = 2;
    public static final int HEAD_DIM = 16;
    public static final int FFN = 96;
    public static final int VOCAB = 320;
    public static final int WINDOW = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Gemma3TestModel() {
    }

    /** Writes the model; {@code queryPreAttnScalar} 16 is head_dim (what llama.cpp assumes for Gemma 3). */
    public static Path write(Path dir, long seed, int queryPreAttnScalar) throws IOException {
        Files.createDirectories(dir);
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("Gemma3ForCausalLM");
        c.put("model_type", "gemma3_text");
        c.put("hidden_size", HIDDEN);
        c.put("intermediate_size", FFN);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("head_dim", HEAD_DIM);
        c.put("hidden_activation", "gelu_pytorch_tanh");
        c.put("max_position_embeddings", 128);
        c.put("sliding_window", WINDOW);
        c.put("sliding_window_pattern", 6);
        c.put("query_pre_attn_scalar", queryPreAttnScalar);
        c.putNull("attn_logit_softcapping");
        c.putNull("final_logit_softcapping");
        c.put("rope_theta", 1_000_000.0);
        c.put("rope_local_base_freq", 10_000.0);
        c.set("rope_scaling", JSON.createObjectNode().put("rope_type", "linear").put("factor", 2.0));
        c.put("vocab_size", VOCAB);
        c.put("rms_norm_eps", 1e-6);
        c.put("tie_word_embeddings", true);
        c.put("bos_token_id", ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
        c.put("eos_token_id", ByteLevelBpeTokenizerWriter.IM_END_ID);
        c.put("torch_dtype", "float32");
        JSON.writeValue(dir.resolve("config.json").toFile(), c);
        ByteLevelBpeTokenizerWriter.write(dir, VOCAB, seed);

        SplittableRandom rng = new SplittableRandom(seed);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        matrix(w, rng, "model.embed_tokens.weight", VOCAB, HIDDEN, 1.0f);
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            onePlusNorm(w, rng, p + "input_layernorm.weight", HIDDEN);
            matrix(w, rng, a + "q_proj.weight", HEADS * HEAD_DIM, HIDDEN, 0.3f);
            matrix(w, rng, a + "k_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN, 0.3f);
            matrix(w, rng, a + "v_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN, 0.3f);
            matrix(w, rng, a + "o_proj.weight", HIDDEN, HEADS * HEAD_DIM, 0.3f);
            onePlusNorm(w, rng, a + "q_norm.weight", HEAD_DIM);
            onePlusNorm(w, rng, a + "k_norm.weight", HEAD_DIM);
            onePlusNorm(w, rng, p + "post_attention_layernorm.weight", HIDDEN);
            onePlusNorm(w, rng, p + "pre_feedforward_layernorm.weight", HIDDEN);
            matrix(w, rng, p + "mlp.gate_proj.weight", FFN, HIDDEN, 0.3f);
            matrix(w, rng, p + "mlp.up_proj.weight", FFN, HIDDEN, 0.3f);
            matrix(w, rng, p + "mlp.down_proj.weight", HIDDEN, FFN, 0.3f);
            onePlusNorm(w, rng, p + "post_feedforward_layernorm.weight", HIDDEN);
        }
        onePlusNorm(w, rng, "model.norm.weight", HIDDEN);
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }
}
