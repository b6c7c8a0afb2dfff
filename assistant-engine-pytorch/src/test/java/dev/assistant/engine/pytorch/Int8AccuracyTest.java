package dev.assistant.engine.pytorch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** INT8 keeps the model's answers: argmax, perplexity and greedy continuations against the FP32 engine. */
class Int8AccuracyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CausalLanguageModel load(Path dir, WeightType type) {
        return load(dir, type, 0);
    }

    /** {@code groupSize} 0 (per channel) computes on libtorch's fbgemm, 32 on the Java kernel. */
    private static CausalLanguageModel load(Path dir, WeightType type, int groupSize) {
        return TestLoading.load(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").weightType(type).quantGroupSize(groupSize).build());
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest(name = "{0}, group size {1}")
    @CsvSource({"stories260K, 0", "tinystories-gpt2-mini, 0", "stories260K, 32", "tinystories-gpt2-mini, 32"})
    void int8KeepsTheArgmaxThePerplexityAndMostOfTheGreedyTokens(String name, int groupSize) throws IOException {
        Path dir = SharedModels.model(name);
        JsonNode golden = JSON.readTree(dir.resolve("reference/golden.json").toFile());
        try (CausalLanguageModel f32 = load(dir, WeightType.F32);
             CausalLanguageModel int8 = load(dir, WeightType.INT8, groupSize)) {
            assertThat(int8.computeType()).isEqualTo("int8");
            assertThat(int8.weightBytes()).isLessThan(f32.weightBytes()); // tied float tables dominate tiny models
            int agreeing = 0;
            int total = 0;
            int sameArgmax = 0;
            for (JsonNode c : golden.get("cases")) {
                int[] input = ints(c.get("input_ids"));
                float[] exact;
                float[] quantized;
                try (Sequence a = f32.newSequence(input.length); Sequence b = int8.newSequence(input.length)) {
                    exact = a.forward(input);
                    quantized = b.forward(input);
                }
                double maxError = 0;
                for (int i = 0; i < exact.length; i++) {
                    maxError = Math.max(maxError, Math.abs(exact[i] - quantized[i]));
                }
                assertThat(maxError).as("max |logit error| of case %s", c.get("index")).isLessThan(0.5); // a broken kernel or layout gives errors of whole units
                int best = FloatVectors.argmax(exact);
                int chosen = FloatVectors.argmax(quantized);
                if (chosen == best) {
                    sameArgmax++;
                } else {
                    // Only a near tie may flip: the token INT8 prefers must be within INT8's error of FP32's best.
                    System.out.printf("[int8 g%d] %s case %s: near tie %d (%.4f) vs %d (%.4f), INT8 error up to %.4f%n",
                            groupSize, name, c.get("index"), best, exact[best], chosen, exact[chosen], maxError);
                    assertThat((double) (exact[best] - exact[chosen])).as("case %s: FP32 margin of the token INT8 picked",
                            c.get("index")).isLessThan(2 * maxError);
                }
                int[] greedyF32 = GoldenLogitsTest.greedy(f32, input, 32);
                int[] greedyInt8 = GoldenLogitsTest.greedy(int8, input, 32);
                for (int i = 0; i < 32 && greedyF32[i] == greedyInt8[i]; i++) {
                    agreeing++;
                }
                total += 32;
            }
            System.out.printf("[int8 g%d] %s: argmax equal on %d of 8 prompts; %d of %d greedy tokens agree with FP32 "
                    + "before the first difference%n", groupSize, name, sameArgmax, agreeing, total);
            assertThat(sameArgmax).isGreaterThanOrEqualTo(7);
            int[] ids = ints(golden.get("perplexity").get("input_ids"));
            double f32Ppl = perplexity(f32, ids);
            double int8Ppl = perplexity(int8, ids);
            System.out.printf("[int8 g%d] %s: perplexity %.4f (FP32 %.4f, %+.3f%%)%n", groupSize, name, int8Ppl, f32Ppl,
                    100 * (int8Ppl / f32Ppl - 1));
            assertThat(int8Ppl).isLessThanOrEqualTo(f32Ppl * 1.02);
        }
    }

    /**
     * The benchmark shapes' layers (2 of them, and a 4096-token vocabulary, to keep the test fast): close logits,
     * under 30% of the bytes. The full shapes are measured by the benchmarks.
     */
    @ParameterizedTest
    @ValueSource(strings = {"smollm-135m-shape", "tinyllama-1.1b-shape"})
    void benchmarkShapesKeepCosineAbove0999WithUnder30PercentOfTheBytes(String shapeName,
                                                                       @org.junit.jupiter.api.io.TempDir Path temp)
            throws IOException {
        dev.assistant.core.demo.ModelShape full = dev.assistant.core.demo.ModelShape.byName(shapeName);
        dev.assistant.core.demo.ModelShape shape = new dev.assistant.core.demo.ModelShape(shapeName + "-2l",
                full.hidden(), 2, full.heads(), full.kvHeads(), full.ffn(), 4096, 256, false);
        dev.assistant.core.demo.RandomModelWriter.write(temp, shape, 7);
        int[] prompt = new int[24];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 300 + 97 * i;
        }
        try (CausalLanguageModel f32 = load(temp, WeightType.F32); CausalLanguageModel int8 = load(temp, WeightType.INT8);
             Sequence a = f32.newSequence(prompt.length); Sequence b = int8.newSequence(prompt.length)) {
            float[] x = a.forward(prompt);
            float[] y = b.forward(prompt);
            double cosine = FloatVectors.cosine(x, y);
            double ratio = int8.weightBytes() / (double) f32.weightBytes();
            System.out.printf("[int8] %s: cosine %.6f, weight bytes %.1f%% of FP32%n", shape.name(), cosine, 100 * ratio);
            assertThat(cosine).isGreaterThanOrEqualTo(0.999);
            assertThat(ratio).isLessThanOrEqualTo(0.30);
        }
    }

    static double perplexity(CausalLanguageModel model, int[] ids) {
        double nll = 0;
        try (Sequence s = model.newSequence(ids.length)) {
            float[][] all = s.forwardAll(ids);
            for (int i = 0; i + 1 < ids.length; i++) {
                nll -= GoldenLogitsTest.logSoftmax(all[i], ids[i + 1]);
            }
        }
        return Math.exp(nll / (ids.length - 1));
    }
}
