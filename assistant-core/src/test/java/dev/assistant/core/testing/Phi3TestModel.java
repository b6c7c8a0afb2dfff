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

/**
 * A small random-weight Phi-3 model in HuggingFace layout: q|k|v in one {@code qkv_proj}, gate|up in one
 * {@code gate_up_proj}, grouped-query attention, an untied head, norm weights around 1.
 */
public final class Phi3TestModel {
    public static final int HIDDEN = 64;
    public static final int LAYERS = 2;
    public static final int HEADS = 4;
    public static final int KV_HEADS = 2;
    public static final int FFN = 96;
    public static final int VOCAB = 320;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Phi3TestModel() {
    }

    /** Writes the model; {@code ropeScaling} (JSON) goes into config.json when not null. */
    public static Path write(Path dir, long seed, String ropeScaling) throws IOException {
        Files.createDirectories(dir);
        int headDim = HIDDEN / HEADS;
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("Phi3ForCausalLM");
        c.put("model_type", "phi3");
        c.put("hidden_size", HIDDEN);
        c.put("intermediate_size", FFN);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", 128);
        c.put("original_max_position_embeddings", 128);
        c.put("vocab_size", VOCAB);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        if (ropeScaling != null) {
            c.set("rope_scaling", JSON.readTree(ropeScaling));
        } else {
            c.putNull("rope_scaling");
        }
        c.put("tie_word_embeddings", false);
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
            norm(w, rng, p + "input_layernorm.weight", HIDDEN);
            matrix(w, rng, p + "self_attn.qkv_proj.weight", (HEADS + 2 * KV_HEADS) * headDim, HIDDEN, 0.3f);
            matrix(w, rng, p + "self_attn.o_proj.weight", HIDDEN, HEADS * headDim, 0.3f);
            norm(w, rng, p + "post_attention_layernorm.weight", HIDDEN);
            matrix(w, rng, p + "mlp.gate_up_proj.weight", 2 * FFN, HIDDEN, 0.3f);
            matrix(w, rng, p + "mlp.down_proj.weight", HIDDEN, FFN, 0.3f);
        }
        norm(w, rng, "model.norm.weight", HIDDEN);
        matrix(w, rng, "lm_head.weight", VOCAB, HIDDEN, 0.3f);
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    /**
     * Writes the model with LongRoPE: random short and long factors in [1, 4) and a trained context of
     * {@code originalContext} of the 128 positions.
     */
    public static Path writeLongRope(Path dir, long seed, int originalContext) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed + originalContext);
        ObjectNode rope = JSON.createObjectNode().put("type", "longrope");
        for (String which : new String[]{"short_factor", "long_factor"}) {
            var list = rope.putArray(which);
            for (int j = 0; j < HIDDEN / HEADS / 2; j++) {
                list.add(1 + 3 * rng.nextDouble());
            }
        }
        write(dir, seed, rope.toString());
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("original_max_position_embeddings", originalContext);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }
}
