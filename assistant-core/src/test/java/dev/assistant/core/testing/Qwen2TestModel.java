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
import static dev.assistant.core.testing.RandomTensors.norm;
import static dev.assistant.core.testing.RandomTensors.vector;

/**
 * A small random-weight Qwen2 model in HuggingFace layout: q/k/v biases, grouped-query attention, an untied head,
 * norm weights around 1.
 */
public final class Qwen2TestModel {
    public static final int HIDDEN = 64;
    public static final int LAYERS = 2;
    public static final int HEADS = 4;
    public static final int KV_HEADS = 2;
    public static final int FFN = 96;
    public static final int VOCAB = 320;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Qwen2TestModel() {
    }

    public static Path write(Path dir, long seed) throws IOException {
        return write(dir, seed, HIDDEN, FFN);
    }

    /**
     * The same model with {@code hidden} and {@code ffn} wide layers (4 heads, 2 KV heads): 256 and 512 give
     * matrices whose rows are whole 256-input super-blocks, as GGUF's k-quant types need.
     */
    public static Path write(Path dir, long seed, int hidden, int ffn) throws IOException {
        Files.createDirectories(dir);
        int headDim = hidden / HEADS;
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("Qwen2ForCausalLM");
        c.put("model_type", "qwen2");
        c.put("hidden_size", hidden);
        c.put("intermediate_size", ffn);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", 128);
        c.put("use_sliding_window", false);
        c.put("vocab_size", VOCAB);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
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
            norm(w, rng, p + "input_layernorm.weight", hidden);
            matrix(w, rng, a + "q_proj.weight", HEADS * headDim, hidden, 0.3f);
            vector(w, rng, a + "q_proj.bias", HEADS * headDim);
            matrix(w, rng, a + "k_proj.weight", KV_HEADS * headDim, hidden, 0.3f);
            vector(w, rng, a + "k_proj.bias", KV_HEADS * headDim);
            matrix(w, rng, a + "v_proj.weight", KV_HEADS * headDim, hidden, 0.3f);
            vector(w, rng, a + "v_proj.bias", KV_HEADS * headDim);
            matrix(w, rng, a + "o_proj.weight", hidden, HEADS * headDim, 0.3f);
            norm(w, rng, p + "post_attention_layernorm.weight", hidden);
            matrix(w, rng, p + "mlp.gate_proj.weight", ffn, hidden, 0.3f);
            matrix(w, rng, p + "mlp.up_proj.weight", ffn, hidden, 0.3f);
            matrix(w, rng, p + "mlp.down_proj.weight", hidden, ffn, 0.3f);
        }
        norm(w, rng, "model.norm.weight", hidden);
        matrix(w, rng, "lm_head.weight", VOCAB, hidden, 0.3f);
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }
}
