package dev.assistant.engine.pytorch;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.demo.RandomModelWriter;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.Quantizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The native engine (assistant-engine-native, on this module's test classpath) against libtorch's layers: auto picks
 * it for Llama on the CPU, and both compute the same model.
 */
class NativeVersusLibtorchTest {
    /** A SmolLM-shaped model with 2 layers (head_dim 64, hidden 576: the vector paths' full blocks). */
    @TempDir
    static Path smollm;

    @BeforeAll
    static void writeModel() throws java.io.IOException {
        ModelShape full = ModelShape.byName("smollm-135m-shape");
        RandomModelWriter.write(smollm, new ModelShape("smollm-2l", full.hidden(), 2, full.heads(), full.kvHeads(),
                full.ffn(), 4096, 512, false), 11);
    }

    /** {@code backend}: {@code auto} (what a host gets), {@code native} or {@code pytorch}. */
    private static CausalLanguageModel load(Path dir, WeightType type, int threads, String backend) {
        return EngineProviders.discover().load(ModelDirectory.read(dir, false), LoadOptions.builder().device("cpu")
                .weightType(type).threads(threads).backend(backend).build());
    }

    private static int[] prompt(int length, int vocab, int seed) {
        int[] out = new int[length];
        for (int i = 0; i < length; i++) {
            out[i] = 3 + (seed * 31 + i * 97) % (vocab - 3);
        }
        return out;
    }

    /** Logits of {@code prompt}, then of {@code steps} greedy decode steps, one row each. */
    private static List<float[]> run(CausalLanguageModel model, int[] prompt, int steps) {
        List<float[]> out = new ArrayList<>();
        try (Sequence s = model.newSequence(prompt.length + steps)) {
            float[] logits = s.forward(prompt);
            out.add(logits);
            for (int i = 0; i < steps; i++) {
                logits = s.forward(new int[]{FloatVectors.argmax(logits)});
                out.add(logits);
            }
        }
        return out;
    }

    private static double maxAbsDifference(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @ParameterizedTest
    @EnumSource(value = WeightType.class, names = {"F32", "INT8"})
    void autoPicksTheNativeEngineForLlamaAndPytorchRunsItWhenAsked(WeightType type) {
        try (CausalLanguageModel auto = load(smollm, type, 1, "auto");
             CausalLanguageModel torch = load(smollm, type, 1, "pytorch")) {
            assertThat(auto.getClass().getName()).isEqualTo("dev.assistant.engine.cpu.NativeLlamaModel");
            assertThat(torch).isInstanceOf(DjlCausalModel.class);
        }
    }

    /**
     * Float32: the libtorch layers' logits within float rounding, on the SmolLM shape and on stories260K (whose
     * dimensions, 64 and 172, leave partial vectors).
     */
    @Test
    void float32MatchesLibtorchLayers() {
        for (Path dir : new Path[]{smollm, SharedModels.model("stories260K")}) {
            try (CausalLanguageModel nat = load(dir, WeightType.F32, 2, "auto");
                 CausalLanguageModel torch = load(dir, WeightType.F32, 2, "pytorch")) {
                int[] prompt = prompt(40, nat.config().vocabSize(), 1);
                List<float[]> a = run(nat, prompt, 4);
                List<float[]> b = run(torch, prompt, 0);
                assertThat(maxAbsDifference(a.get(0), b.get(0))).as("%s prompt", dir).isLessThan(1e-3);
                // decode steps: the libtorch model follows the native model's tokens
                try (Sequence s = torch.newSequence(prompt.length + 4)) {
                    float[] logits = s.forward(prompt);
                    for (int i = 1; i < a.size(); i++) {
                        logits = s.forward(new int[]{FloatVectors.argmax(a.get(i - 1))});
                        assertThat(maxAbsDifference(a.get(i), logits)).as("%s step %d", dir, i).isLessThan(1e-3);
                    }
                }
            }
        }
    }

    /**
     * The native library computes the rotary factors itself from the config: with {@code linear} and {@code llama3}
     * scaling (the llama3 settings put stories260K's four frequencies in all three of its bands) its logits are
     * libtorch's, whose factors the Java side computes.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\": \"linear\", \"factor\": 2.0}",
            "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
                    + "\"original_max_position_embeddings\": 64}"})
    void ropeScalingMatchesLibtorchLayers(String scaling, @TempDir Path dir) throws java.io.IOException {
        Path source = SharedModels.model("stories260K");
        try (var files = java.nio.file.Files.list(source)) {
            for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                java.nio.file.Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path config = dir.resolve("config.json");
        String json = java.nio.file.Files.readString(config);
        assertThat(json).contains("\"rope_scaling\": null");
        java.nio.file.Files.writeString(config, json.replace("\"rope_scaling\": null", "\"rope_scaling\": " + scaling));
        try (CausalLanguageModel nat = load(dir, WeightType.F32, 1, "native");
             CausalLanguageModel torch = load(dir, WeightType.F32, 1, "pytorch");
             CausalLanguageModel unscaled = load(source, WeightType.F32, 1, "native")) {
            int[] prompt = prompt(60, nat.config().vocabSize(), 6);
            float[] a = run(nat, prompt, 0).get(0);
            assertThat(maxAbsDifference(a, run(torch, prompt, 0).get(0))).isLessThan(1e-4);
            assertThat(maxAbsDifference(a, run(unscaled, prompt, 0).get(0))).as("scaling changes the logits")
                    .isGreaterThan(1e-2);
        }
    }

    /**
     * INT8: the same quantized weights as libtorch's fbgemm layers, whose activations are rounded to 8 bits (16 for
     * the MLP's output projection). The native products with 16-bit activations are at least as close to FP32 as
     * libtorch's; with the default 8-bit ones, close to both.
     */
    @Test
    void int8IsCloseToLibtorchInt8AndToFloat32() {
        LoadOptions precise = LoadOptions.builder().device("cpu").weightType(WeightType.INT8).threads(2)
                .backend("native").engineOption("native.activations", "int16").build();
        try (CausalLanguageModel nat = load(smollm, WeightType.INT8, 2, "auto");
             CausalLanguageModel nat16 = EngineProviders.discover().load(ModelDirectory.read(smollm, false), precise);
             CausalLanguageModel torch = load(smollm, WeightType.INT8, 2, "pytorch");
             CausalLanguageModel f32 = load(smollm, WeightType.F32, 2, "auto")) {
            int[] prompt = prompt(40, nat.config().vocabSize(), 2);
            float[] a = run(nat, prompt, 0).get(0);
            float[] a16 = run(nat16, prompt, 0).get(0);
            float[] b = run(torch, prompt, 0).get(0);
            float[] reference = run(f32, prompt, 0).get(0);
            assertThat(FloatVectors.cosine(a16, b)).isGreaterThan(0.999);
            assertThat(FloatVectors.cosine(a16, reference)).isGreaterThanOrEqualTo(FloatVectors.cosine(b, reference));
            assertThat(FloatVectors.cosine(a, b)).isGreaterThan(0.999);
            assertThat(FloatVectors.cosine(a, reference)).isGreaterThan(0.999);
            assertThat(a).as("8-bit activations are the default").isNotEqualTo(a16);
        }
    }
}
