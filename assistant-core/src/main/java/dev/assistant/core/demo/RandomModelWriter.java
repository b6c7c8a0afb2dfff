package dev.assistant.core.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.SafetensorsWriter;
import dev.assistant.core.tokenizer.ByteLevelBpeTokenizerWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a deterministic Llama-architecture model with seeded random weights in HuggingFace layout: config.json,
 * generation_config.json, model.safetensors (float32), and a byte-level BPE tokenizer with a ChatML template.
 *
 * <p>It is for demos and benchmarks on machines without a real model: it runs like a real model of its shape but
 * answers with noise. Each tensor is drawn from its own generator seeded by the model seed and the tensor name, so
 * the bytes depend only on (shape, seed).
 */
public final class RandomModelWriter {
    /** Standard deviation of the weights, as HuggingFace initialises Llama (initializer_range). */
    private static final float INIT_STD = 0.02f;
    private static final ObjectMapper JSON = new ObjectMapper();

    private RandomModelWriter() {
    }

    /** Writes the model into {@code dir} (created if needed; existing files replaced). */
    public static void write(Path dir, ModelShape shape, long seed) throws IOException {
        Files.createDirectories(dir);
        writeConfig(dir, shape);
        ByteLevelBpeTokenizerWriter.write(dir, shape.vocab(), seed);
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt")
                .metadata("generator", "assistant-sdk random demo weights, seed " + seed);
        int h = shape.hidden();
        int kv = shape.kvHeads() * shape.headDim();
        random(weights, seed, "model.embed_tokens.weight", shape.vocab(), h);
        for (int i = 0; i < shape.layers(); i++) {
            String p = "model.layers." + i + ".";
            ones(weights, p + "input_layernorm.weight", h);
            random(weights, seed, p + "self_attn.q_proj.weight", h, h);
            random(weights, seed, p + "self_attn.k_proj.weight", kv, h);
            random(weights, seed, p + "self_attn.v_proj.weight", kv, h);
            random(weights, seed, p + "self_attn.o_proj.weight", h, h);
            ones(weights, p + "post_attention_layernorm.weight", h);
            random(weights, seed, p + "mlp.gate_proj.weight", shape.ffn(), h);
            random(weights, seed, p + "mlp.up_proj.weight", shape.ffn(), h);
            random(weights, seed, p + "mlp.down_proj.weight", h, shape.ffn());
        }
        ones(weights, "model.norm.weight", h);
        if (!shape.tiedEmbeddings()) {
            random(weights, seed, "lm_head.weight", shape.vocab(), h);
        }
        weights.write(dir.resolve("model.safetensors"));
    }

    private static void writeConfig(Path dir, ModelShape s) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.ffn());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("head_dim", s.headDim());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", s.context());
        c.put("vocab_size", s.vocab());
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", s.tiedEmbeddings());
        c.put("bos_token_id", ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
        c.put("eos_token_id", ByteLevelBpeTokenizerWriter.IM_END_ID);
        c.put("torch_dtype", "float32");
        c.put("_assistant_demo", "random weights: answers are noise; point --model at a real HuggingFace directory");
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
        ObjectNode g = JSON.createObjectNode();
        g.put("bos_token_id", ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
        g.putArray("eos_token_id").add(ByteLevelBpeTokenizerWriter.IM_END_ID).add(ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("generation_config.json").toFile(), g);
    }

    private static void ones(SafetensorsWriter w, String name, int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        w.addF32(name, new long[]{n}, v);
    }

    /** Uniform in [-a, a] with a = std * sqrt(3), i.e. the same variance as N(0, std^2), and much faster to draw. */
    private static void random(SafetensorsWriter w, long seed, String name, int rows, int cols) {
        long count = (long) rows * cols;
        w.add(name, DType.F32, new long[]{rows, cols}, sink -> {
            SplittableRandom rng = new SplittableRandom(seed ^ name.hashCode() * 0x9E3779B97F4A7C15L);
            float bound = (float) (INIT_STD * Math.sqrt(3));
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer floats = chunk.asFloatBuffer();
            long left = count;
            while (left > 0) {
                int n = (int) Math.min(left, floats.capacity());
                floats.clear();
                for (int i = 0; i < n; i++) {
                    floats.put((float) (rng.nextDouble() * 2 - 1) * bound);
                }
                chunk.clear().limit(n * 4);
                sink.write(chunk);
                left -= n;
            }
        });
    }
}
