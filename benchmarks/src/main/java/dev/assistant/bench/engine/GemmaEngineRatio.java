package dev.assistant.bench.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.safetensors.SafetensorsWriter;
import dev.assistant.core.tokenizer.ByteLevelBpeTokenizerWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Decode speed of a Gemma 2 model on the native engine against the pytorch engine, both f32, loaded in one process
 * and measured in alternating rounds (pytorch, native, ...) of {@link GreedyDecode}; the ratio is the median over
 * the pairs of native's rate over the pytorch rate measured just before it (see {@link DecodeRatio} for why pairs).
 *
 * <p>The model is written once (random weights) with Gemma 2 2B's layer shape: hidden 2304, 8 query heads and 4 KV
 * heads of 256, ffn 9216, window 4096, soft-caps 50 and 30, but LAYERS layers and a vocabulary of 32000 (the real
 * 256000-entry table alone is 2.4 GB in f32), so the head weighs less than in the real model.
 *
 * <p>Usage: {@code GemmaEngineRatio DIR [LAYERS=4] [THREADS=2] [NEW_TOKENS=32] [PAIRS=3]}. Prints a JSON line per
 * round and one summary line ({@code native_over_pytorch_median}, {@code _min}, {@code _max}).
 */
public final class GemmaEngineRatio {
    private static final int HIDDEN = 2304;
    private static final int HEADS = 8;
    private static final int KV_HEADS = 4;
    private static final int HEAD_DIM = 256;
    private static final int FFN = 9216;
    private static final int VOCAB = 32000;

    private GemmaEngineRatio() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int pairs = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            write(dir, layers);
        }
        double[] ratios = new double[pairs];
        try (CausalLanguageModel torch = load(dir, "pytorch", threads);
             CausalLanguageModel nativ = load(dir, "native", threads)) {
            GreedyDecode.run(torch, newTokens);
            GreedyDecode.run(nativ, newTokens);
            for (int p = 0; p < pairs; p++) {
                double t = round(torch, "pytorch", threads, newTokens, p);
                double n = round(nativ, "native", threads, newTokens, p);
                ratios[p] = n / t;
            }
        }
        Arrays.sort(ratios);
        System.out.printf(Locale.ROOT, "{\"model\":\"gemma2-shape-%dl\",\"threads\":%d,\"tokens\":%d,\"pairs\":%d,"
                        + "\"native_over_pytorch_median\":%.3f,\"native_over_pytorch_min\":%.3f,"
                        + "\"native_over_pytorch_max\":%.3f}%n", layers, threads, newTokens, pairs,
                DecodeRatio.median(ratios), ratios[0], ratios[pairs - 1]);
    }

    private static CausalLanguageModel load(Path dir, String backend, int threads) {
        return EngineProviders.discover().load(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").backend(backend).threads(threads).build());
    }

    private static double round(CausalLanguageModel model, String engine, int threads, int newTokens, int index) {
        GreedyDecode.Timing timing = GreedyDecode.run(model, newTokens);
        System.out.printf(Locale.ROOT, "{\"engine\":\"%s\",\"threads\":%d,\"tokens\":%d,\"round\":%d,"
                        + "\"ttft_ms\":%.1f,\"decode_tok_s\":%.2f}%n", engine, threads, newTokens, index,
                timing.firstTokenMs(), timing.tokensPerSecond());
        return timing.tokensPerSecond();
    }

    /** A random-weight Gemma 2 model of the shape above in HuggingFace layout. */
    private static void write(Path dir, int layers) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add("Gemma2ForCausalLM");
        c.put("model_type", "gemma2");
        c.put("hidden_size", HIDDEN);
        c.put("intermediate_size", FFN);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("head_dim", HEAD_DIM);
        c.put("hidden_activation", "gelu_pytorch_tanh");
        c.put("max_position_embeddings", 8192);
        c.put("sliding_window", 4096);
        c.put("query_pre_attn_scalar", HEAD_DIM);
        c.put("attn_logit_softcapping", 50.0);
        c.put("final_logit_softcapping", 30.0);
        c.put("vocab_size", VOCAB);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", true);
        c.put("bos_token_id", ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
        c.put("eos_token_id", ByteLevelBpeTokenizerWriter.IM_END_ID);
        c.put("torch_dtype", "float32");
        json.writeValue(dir.resolve("config.json").toFile(), c);
        ByteLevelBpeTokenizerWriter.write(dir, VOCAB, 1);
        SplittableRandom rng = new SplittableRandom(1);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        matrix(w, rng, "model.embed_tokens.weight", VOCAB, HIDDEN);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            norm(w, p + "input_layernorm.weight");
            matrix(w, rng, a + "q_proj.weight", HEADS * HEAD_DIM, HIDDEN);
            matrix(w, rng, a + "k_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN);
            matrix(w, rng, a + "v_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN);
            matrix(w, rng, a + "o_proj.weight", HIDDEN, HEADS * HEAD_DIM);
            norm(w, p + "post_attention_layernorm.weight");
            norm(w, p + "pre_feedforward_layernorm.weight");
            matrix(w, rng, p + "mlp.gate_proj.weight", FFN, HIDDEN);
            matrix(w, rng, p + "mlp.up_proj.weight", FFN, HIDDEN);
            matrix(w, rng, p + "mlp.down_proj.weight", HIDDEN, FFN);
            norm(w, p + "post_feedforward_layernorm.weight");
        }
        norm(w, "model.norm.weight");
        w.write(dir.resolve("model.safetensors"));
    }

    private static void matrix(SafetensorsWriter w, SplittableRandom rng, String name, int rows, int cols) {
        float[] v = new float[rows * cols];
        float bound = (float) (1 / Math.sqrt(cols));
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1) * bound;
        }
        w.addF32(name, new long[]{rows, cols}, v);
    }

    /** Gemma stores w and multiplies by 1 + w: zeros are unit norms. */
    private static void norm(SafetensorsWriter w, String name) {
        w.addF32(name, new long[]{HIDDEN}, new float[HIDDEN]);
    }
}
