package dev.assistant.engine.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.demo.RandomModelWriter;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 4-bit weights (dtype q4: ggml Q4_0 blocks for every linear layer whose rows are whole groups of 32, the table and
 * head in Q4_0 by default or Q8_0 with engine option native.head) keep the model's answers: the first token on the golden prompts, the perplexity of the
 * golden text, against float32 on the same engine.
 */
class Q4AccuracyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static CausalLanguageModel load(Path dir, WeightType type, Map<String, String> engineOptions) {
        LoadOptions.Builder options = LoadOptions.builder().device("cpu").backend(NativeEngineProvider.NAME)
                .weightType(type).threads(2);
        engineOptions.forEach(options::engineOption);
        return NativeLlamaLayersTest.load(dir, options.build());
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    /**
     * stories260K (hidden 64, so 2 groups per row; its down projection has 172 inputs and stays float32). Thresholds
     * from the measured figures (printed): see the README's Q4 section.
     */
    @ParameterizedTest(name = "head {0}")
    @ValueSource(strings = {"q8_0", "q4_0"})
    void q4KeepsMostFirstTokensAndThePerplexityOfStories260K(String head) throws IOException {
        Path dir = SharedModels.model("stories260K");
        JsonNode golden = JSON.readTree(dir.resolve("reference/golden.json").toFile());
        try (CausalLanguageModel f32 = load(dir, WeightType.F32, Map.of());
             CausalLanguageModel q4 = load(dir, WeightType.Q4, Map.of(NativeEngineProvider.HEAD_OPTION, head))) {
            assertThat(q4.computeType()).isEqualTo("q4");
            int same = 0;
            int cases = 0;
            double worst = 0;
            for (JsonNode c : golden.get("cases")) {
                int[] input = ints(c.get("input_ids"));
                float[] exact;
                float[] quantized;
                try (Sequence a = f32.newSequence(input.length); Sequence b = q4.newSequence(input.length)) {
                    exact = a.forward(input);
                    quantized = b.forward(input);
                }
                double maxError = 0;
                for (int i = 0; i < exact.length; i++) {
                    maxError = Math.max(maxError, Math.abs(exact[i] - quantized[i]));
                }
                worst = Math.max(worst, maxError);
                cases++;
                if (NativeLlamaLayersTest.argmax(exact) == NativeLlamaLayersTest.argmax(quantized)) {
                    same++;
                }
            }
            int[] ids = ints(golden.get("perplexity").get("input_ids"));
            double f32Ppl = perplexity(f32, ids);
            double q4Ppl = perplexity(q4, ids);
            System.out.printf("[q4 head %s] stories260K: first token equal on %d of %d prompts, max |logit error| %.3f, "
                            + "perplexity %.4f (FP32 %.4f, %+.2f%%), weight bytes %d (FP32 %d, %.1f%%)%n", head, same,
                    cases, worst, q4Ppl, f32Ppl, 100 * (q4Ppl / f32Ppl - 1), q4.weightBytes(), f32.weightBytes(),
                    100.0 * q4.weightBytes() / f32.weightBytes());
            // measured: 7 of 8 with either head (the prompt whose two best FP32 tokens are 0.011 apart flips, as with
            // INT8); perplexity +2.98% (Q8_0 head) and +5.83% (Q4_0 head)
            assertThat(same).isGreaterThanOrEqualTo(7);
            assertThat(q4Ppl).isLessThanOrEqualTo(f32Ppl * (head.equals("q8_0") ? 1.04 : 1.07));
            // the down projection (172 inputs) stays float32 and dominates this tiny model's bytes
            assertThat(q4.weightBytes()).isLessThan((long) (f32.weightBytes() * 0.35));
            // what the engine's support line (assistant doctor) announces before loading
            assertThat(NativeEngineProvider.q4WeightBytes(q4.config(), head)).isEqualTo(q4.weightBytes());
        }
    }

    /**
     * The SmolLM shape's layers (2 of them, a tied 4096-token table, to keep the test fast): close logits, and the
     * bytes the README reports for the full shape scaled down (the full shape is measured by the benchmarks).
     */
    @Test
    void smolLmShapeKeepsCosineAbove097AndAQuarterOfInt8sBytes(@TempDir Path temp) throws IOException {
        ModelShape full = ModelShape.byName("smollm-135m-shape");
        ModelShape shape = new ModelShape("smollm-2l", full.hidden(), 2, full.heads(), full.kvHeads(), full.ffn(), 4096,
                256, true);
        RandomModelWriter.write(temp, shape, 7);
        int[] prompt = new int[24];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 300 + 97 * i;
        }
        for (String head : new String[]{"q8_0", "q4_0"}) {
            try (CausalLanguageModel f32 = load(temp, WeightType.F32, Map.of());
                 CausalLanguageModel q4 = load(temp, WeightType.Q4, Map.of(NativeEngineProvider.HEAD_OPTION, head));
                 Sequence a = f32.newSequence(prompt.length); Sequence b = q4.newSequence(prompt.length)) {
                float[] x = a.forward(prompt);
                float[] y = b.forward(prompt);
                double dot = 0;
                double nx = 0;
                double ny = 0;
                for (int i = 0; i < x.length; i++) {
                    dot += (double) x[i] * y[i];
                    nx += (double) x[i] * x[i];
                    ny += (double) y[i] * y[i];
                }
                double cosine = dot / Math.sqrt(nx * ny);
                double ratio = q4.weightBytes() / (double) f32.weightBytes();
                System.out.printf("[q4 head %s] %s: cosine %.6f, weight bytes %.1f%% of FP32%n", head, shape.name(),
                        cosine, 100 * ratio);
                // measured 0.982 (Q8_0 head): 4-bit weights of random Gaussian matrices move each layer's
                // output by a few percent
                assertThat(cosine).isGreaterThanOrEqualTo(0.97);
                // 4.5 bits per weight is 14.1% of FP32; a Q8_0 table (8.5 bits) adds its share
                assertThat(ratio).isLessThanOrEqualTo(head.equals("q4_0") ? 0.15 : 0.20);
            }
        }
    }

    static double perplexity(CausalLanguageModel model, int[] ids) {
        double nll = 0;
        try (Sequence s = model.newSequence(ids.length)) {
            float[][] all = s.forwardAll(ids);
            for (int i = 0; i + 1 < ids.length; i++) {
                float[] l = all[i];
                double max = Double.NEGATIVE_INFINITY;
                for (float v : l) {
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (float v : l) {
                    sum += Math.exp(v - max);
                }
                nll -= l[ids[i + 1]] - max - Math.log(sum);
            }
        }
        return Math.exp(nll / (ids.length - 1));
    }
}
