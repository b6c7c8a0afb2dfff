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

/**
 * A small random-weight Qwen3 model in HuggingFace layout: head_dim 16 while hidden / heads is 12 (Qwen3 sets it
 * apart), grouped-query attention, an untied head, and norm weights drawn around 1 so that every norm, the per-head
 * q/k norms included, changes the result.
 */
public final class Qwen3TestModel {
    public static final int HIDDEN = 48;
    public static final int LAYERS = 2;
    public static final int HEADS = 4;
    public static final int KV_HEADS = 2;
    public static final int HEAD_DIM = 16;
    public static final int FFN = 96;
    public static final int VOCAB = 320;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Qwen3TestModel() {
    }

    /**
     * Writes the model. {@code kNormShift} is added to every k_norm weight (two models differing only there tell
     * whether the key norm is applied); {@code withQueryNorm} false leaves q_norm out (an invalid file).
     */
    public static Path write(Path dir, long seed, float kNormShift, boolean withQueryNorm) throws IOException {
        return write(dir, seed, kNormShift, withQueryNorm, HIDDEN);
    }

    /** As {@link #write(Path, long, float, boolean)} with a hidden size of {@code hidden} (64: whole 32-groups). */
    public static Path write(Path dir, long seed, float kNormShift, boolean withQueryNorm, int hidden)
            throws IOException {
        Files.createDirectories(dir);
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("Qwen3ForCausalLM");
        c.put("model_type", "qwen3");
        c.put("hidden_size", hidden);
        c.put("intermediate_size", FFN);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("head_dim", HEAD_DIM);
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", 128);
        c.put("sliding_window", 32);
        c.put("use_sliding_window", false);
        c.put("vocab_size", VOCAB);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
        c.put("attention_bias", false);
        c.put("tie_word_embeddings", false);
        c.put("bos_token_id", ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
        c.put("eos_token_id", ByteLevelBpeTokenizerWriter.IM_END_ID);
        c.put("torch_dtype", "float32");
        JSON.writeValue(dir.resolve("config.json").toFile(), c);
        ByteLevelBpeTokenizerWriter.write(dir, VOCAB, seed);

        SplittableRandom rng = new SplittableRandom(seed);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        matrix(w, rng, "model.embed_tokens.weight", VOCAB, hidden, 1.0f);
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            norm(w, rng, p + "input_layernorm.weight", hidden, 0);
            matrix(w, rng, a + "q_proj.weight", HEADS * HEAD_DIM, hidden, 0.3f);
            matrix(w, rng, a + "k_proj.weight", KV_HEADS * HEAD_DIM, hidden, 0.3f);
            matrix(w, rng, a + "v_proj.weight", KV_HEADS * HEAD_DIM, hidden, 0.3f);
            matrix(w, rng, a + "o_proj.weight", hidden, HEADS * HEAD_DIM, 0.3f);
            float[] queryNorm = normValues(rng, HEAD_DIM, 0);
            if (withQueryNorm) {
                w.addF32(a + "q_norm.weight", new long[]{HEAD_DIM}, queryNorm);
            }
            norm(w, rng, a + "k_norm.weight", HEAD_DIM, kNormShift);
            norm(w, rng, p + "post_attention_layernorm.weight", hidden, 0);
            matrix(w, rng, p + "mlp.gate_proj.weight", FFN, hidden, 0.3f);
            matrix(w, rng, p + "mlp.up_proj.weight", FFN, hidden, 0.3f);
            matrix(w, rng, p + "mlp.down_proj.weight", hidden, FFN, 0.3f);
        }
        norm(w, rng, "model.norm.weight", hidden, 0);
        matrix(w, rng, "lm_head.weight", VOCAB, hidden, 0.3f);
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    private static void norm(SafetensorsWriter w, SplittableRandom rng, String name, int n, float shift) {
        w.addF32(name, new long[]{n}, normValues(rng, n, shift));
    }

    /** Values in [0.5, 1.5) plus {@code shift}; always drawn, so the other tensors do not depend on what is kept. */
    private static float[] normValues(SplittableRandom rng, int n, float shift) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (0.5 + rng.nextDouble()) + shift;
        }
        return v;
    }
}
