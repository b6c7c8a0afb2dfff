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
 * A small random-weight Gemma 2 model in HuggingFace layout, sized so that every Gemma 2 feature changes the result
 * of a short prompt: a sliding window of 4 (layers 0 and 2 slide, layer 1 is global), query_pre_attn_scalar 24
 * while head_dim is 16, attention scores capped at 2 and logits at 5, norm weights w drawn around 0 (the norm
 * multiplies by 1 + w), a tied head.
 */
public final class Gemma2TestModel {
    public static final int HIDDEN = 48;
    public static final int LAYERS = 3;
    public static final int HEADS = 4;
    public static final int KV_HEADS = 2;
    public static final int HEAD_DIM = 16;
    public static final int FFN = 96;
    public static final int VOCAB = 320;
    public static final int WINDOW = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Gemma2TestModel() {
    }

    /** Writes the model; {@code attentionSoftcap} 0 writes null (no capping). */
    public static Path write(Path dir, long seed, double attentionSoftcap) throws IOException {
        return write(dir, seed, attentionSoftcap, 24, LAYERS);
    }

    /**
     * Writes the model with {@code layers} layers and {@code queryPreAttnScalar} (GGUF stores none: llama.cpp takes
     * head_dim, 16 here, for every shape but 46 layers, and runs 26, 42 or 46 layers only).
     */
    public static Path write(Path dir, long seed, double attentionSoftcap, int queryPreAttnScalar, int layers)
            throws IOException {
        Files.createDirectories(dir);
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("Gemma2ForCausalLM");
        c.put("model_type", "gemma2");
        c.put("hidden_size", HIDDEN);
        c.put("intermediate_size", FFN);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("head_dim", HEAD_DIM);
        c.put("hidden_activation", "gelu_pytorch_tanh");
        c.put("max_position_embeddings", 128);
        c.put("sliding_window", WINDOW);
        c.put("query_pre_attn_scalar", queryPreAttnScalar);
        if (attentionSoftcap > 0) {
            c.put("attn_logit_softcapping", attentionSoftcap);
        } else {
            c.putNull("attn_logit_softcapping");
        }
        c.put("final_logit_softcapping", 5.0);
        c.put("vocab_size", VOCAB);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", true);
        c.put("bos_token_id", ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
        c.put("eos_token_id", ByteLevelBpeTokenizerWriter.IM_END_ID);
        c.put("torch_dtype", "float32");
        JSON.writeValue(dir.resolve("config.json").toFile(), c);
        ByteLevelBpeTokenizerWriter.write(dir, VOCAB, seed);

        SplittableRandom rng = new SplittableRandom(seed);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        matrix(w, rng, "model.embed_tokens.weight", VOCAB, HIDDEN, 1.0f);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            onePlusNorm(w, rng, p + "input_layernorm.weight", HIDDEN);
            matrix(w, rng, a + "q_proj.weight", HEADS * HEAD_DIM, HIDDEN, 0.3f);
            matrix(w, rng, a + "k_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN, 0.3f);
            matrix(w, rng, a + "v_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN, 0.3f);
            matrix(w, rng, a + "o_proj.weight", HIDDEN, HEADS * HEAD_DIM, 0.3f);
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
