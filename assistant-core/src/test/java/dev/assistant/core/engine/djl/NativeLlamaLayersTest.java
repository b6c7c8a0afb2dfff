package dev.assistant.core.engine.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.demo.RandomModelWriter;
import dev.assistant.core.engine.CausalLanguageModel;
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
 * The native forward pass ({@link NativeLlamaLayers}, {@code src/main/c}): the same model as libtorch's layers,
 * on every kernel the library has; a sequence's logits independent of its batch and of the thread count, bit for
 * bit; concurrent callers serialized; malformed calls refused with exceptions, not crashes.
 */
class NativeLlamaLayersTest {
    /** A SmolLM-shaped model with 2 layers (head_dim 64, hidden 576: the vector paths' full blocks). */
    @TempDir
    static Path smollm;

    @BeforeAll
    static void writeModel() throws java.io.IOException {
        ModelShape full = ModelShape.byName("smollm-135m-shape");
        RandomModelWriter.write(smollm, new ModelShape("smollm-2l", full.hidden(), 2, full.heads(), full.kvHeads(),
                full.ffn(), 4096, 512, false), 11);
        assertThat(NativeLlamaLayers.unavailableBecause()).as("the native library loads here").isEmpty();
    }

    private static CausalLanguageModel load(Path dir, WeightType type, int threads, String... properties) {
        return WithProperties.run(() -> DjlModelLoader.load(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").weightType(type).threads(threads).build()), properties);
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
                logits = s.forward(new int[]{GoldenLogitsTest.argmax(logits)});
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
    void llamaModelsRunNativelyUnlessTurnedOff(WeightType type) {
        try (CausalLanguageModel on = load(smollm, type, 1);
             CausalLanguageModel off = load(smollm, type, 1, DjlModelLoader.NATIVE_LAYERS_PROPERTY, "false")) {
            assertThat(((LlamaModel) on).runsNatively()).isTrue();
            assertThat(((LlamaModel) off).runsNatively()).isFalse();
        }
    }

    /**
     * Float32: the libtorch layers' logits within float rounding, on the SmolLM shape and on stories260K (whose
     * dimensions, 64 and 172, leave partial vectors).
     */
    @Test
    void float32MatchesLibtorchLayers() {
        for (Path dir : new Path[]{smollm, SharedModels.model("stories260K")}) {
            try (CausalLanguageModel nat = load(dir, WeightType.F32, 2);
                 CausalLanguageModel torch = load(dir, WeightType.F32, 2, DjlModelLoader.NATIVE_LAYERS_PROPERTY, "false")) {
                int[] prompt = prompt(40, nat.config().vocabSize(), 1);
                List<float[]> a = run(nat, prompt, 4);
                List<float[]> b = run(torch, prompt, 0);
                assertThat(maxAbsDifference(a.get(0), b.get(0))).as("%s prompt", dir).isLessThan(1e-3);
                // decode steps: the libtorch model follows the native model's tokens
                try (Sequence s = torch.newSequence(prompt.length + 4)) {
                    float[] logits = s.forward(prompt);
                    for (int i = 1; i < a.size(); i++) {
                        logits = s.forward(new int[]{GoldenLogitsTest.argmax(a.get(i - 1))});
                        assertThat(maxAbsDifference(a.get(i), logits)).as("%s step %d", dir, i).isLessThan(1e-3);
                    }
                }
            }
        }
    }

    /**
     * The native side computes the rotary factors from the config: with {@code linear} and {@code llama3} scaling
     * (the llama3 settings put stories260K's four frequencies in all three of its bands) the logits are libtorch's,
     * whose factors the Java side computes.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\": \"linear\", \"factor\": 2.0}",
            "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}"})
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
        try (CausalLanguageModel nat = load(dir, WeightType.F32, 1);
             CausalLanguageModel torch = load(dir, WeightType.F32, 1, DjlModelLoader.NATIVE_LAYERS_PROPERTY, "false");
             CausalLanguageModel unscaled = load(source, WeightType.F32, 1)) {
            assertThat(((LlamaModel) nat).runsNatively()).isTrue();
            int[] prompt = prompt(60, nat.config().vocabSize(), 6);
            float[] a = run(nat, prompt, 0).get(0);
            assertThat(maxAbsDifference(a, run(torch, prompt, 0).get(0))).isLessThan(1e-4);
            assertThat(maxAbsDifference(a, run(unscaled, prompt, 0).get(0))).as("scaling changes the logits")
                    .isGreaterThan(1e-2);
        }
    }

    /**
     * INT8: the same quantized weights as libtorch's fbgemm layers, whose activations are rounded to 8 bits (the
     * native products use 16): close, and each as close to FP32 as the accuracy tests ask.
     */
    @Test
    void int8IsCloseToLibtorchInt8AndToFloat32() {
        try (CausalLanguageModel nat = load(smollm, WeightType.INT8, 2);
             CausalLanguageModel torch = load(smollm, WeightType.INT8, 2, DjlModelLoader.NATIVE_LAYERS_PROPERTY, "false");
             CausalLanguageModel f32 = load(smollm, WeightType.F32, 2)) {
            int[] prompt = prompt(40, nat.config().vocabSize(), 2);
            float[] a = run(nat, prompt, 0).get(0);
            float[] b = run(torch, prompt, 0).get(0);
            float[] reference = run(f32, prompt, 0).get(0);
            assertThat(FloatVectors.cosine(a, b)).isGreaterThan(0.999);
            assertThat(FloatVectors.cosine(a, reference)).isGreaterThanOrEqualTo(FloatVectors.cosine(b, reference));
        }
    }

    /**
     * Every kernel of the library (AVX2, plain x86-64, besides the default AVX-512 one) computes the same model:
     * float32 within rounding; INT8 within the difference of 16-bit and float activations.
     */
    @ParameterizedTest
    @CsvSource({"avx2,F32", "avx2,INT8", "x86-64,F32", "x86-64,INT8"})
    void everyKernelComputesTheSameLogits(String kernels, WeightType type) {
        try (CausalLanguageModel best = load(smollm, type, 2);
             CausalLanguageModel other = load(smollm, type, 2, NativeLlamaLayers.KERNELS_PROPERTY, kernels)) {
            assertThat(((LlamaModel) other).nativeKernels()).isEqualTo(kernels);
            int[] prompt = prompt(70, best.config().vocabSize(), 3); // > 64 positions: the blocked score loop
            List<float[]> a = run(best, prompt, 3);
            List<float[]> b = run(other, prompt, 0);
            try (Sequence s = other.newSequence(prompt.length + 3)) {
                float[] logits = s.forward(prompt);
                for (int i = 0; i < a.size(); i++) {
                    if (i > 0) {
                        logits = s.forward(new int[]{GoldenLogitsTest.argmax(a.get(i - 1))});
                    }
                    double tolerance = type == WeightType.F32 ? 1e-3 : 2e-2;
                    assertThat(maxAbsDifference(a.get(i), logits)).as("step %d", i).isLessThan(tolerance);
                }
            }
            assertThat(b.get(0)).hasSameSizeAs(a.get(0));
        }
    }

    /**
     * A sequence's logits are the same bits whether it runs alone or in a ragged batch (with another sequence's
     * prompt and a third's decode steps), and with one thread or two.
     */
    @ParameterizedTest
    @EnumSource(value = WeightType.class, names = {"F32", "INT8"})
    void logitsDependOnNeitherTheBatchNorTheThreadCount(WeightType type) {
        try (CausalLanguageModel two = load(smollm, type, 2); CausalLanguageModel one = load(smollm, type, 1)) {
            int vocab = two.config().vocabSize();
            int[] p = prompt(21, vocab, 4);
            int[] q = prompt(9, vocab, 5);
            List<float[]> alone = run(two, p, 3);
            List<float[]> single = run(one, p, 3);
            for (int i = 0; i < alone.size(); i++) {
                assertThat(single.get(i)).as("1 thread, step %d", i).containsExactly(alone.get(i));
            }
            try (Sequence a = two.newSequence(p.length + 3); Sequence b = two.newSequence(q.length + 3);
                 Sequence c = two.newSequence(p.length + 3)) {
                b.forward(q);
                // a reads its prompt in the same pass as b decodes
                float[][] first = two.forwardBatch(List.of(a, b), List.of(p, new int[]{7}));
                assertThat(first[0]).containsExactly(alone.get(0));
                // c reads its prompt while a decodes
                for (int i = 1; i < alone.size(); i++) {
                    int next = GoldenLogitsTest.argmax(alone.get(i - 1));
                    float[][] step = i == 1
                            ? two.forwardBatch(List.of(a, c), List.of(new int[]{next}, p))
                            : two.forwardBatch(List.of(b, a), List.of(new int[]{11}, new int[]{next}));
                    assertThat(i == 1 ? step[0] : step[1]).as("step %d", i).containsExactly(alone.get(i));
                }
            }
        }
    }

    /** Passes from several threads at once are serialized natively: each gets what it gets alone. */
    @Test
    void concurrentCallersGetTheirOwnResults() throws Exception {
        try (CausalLanguageModel model = load(smollm, WeightType.INT8, 2)) {
            int vocab = model.config().vocabSize();
            List<List<float[]>> expected = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                expected.add(run(model, prompt(12 + t, vocab, 10 + t), 8));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<float[]>>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int seed = t;
                    futures.add(pool.submit(() -> run(model, prompt(12 + seed, vocab, 10 + seed), 8)));
                }
                for (int t = 0; t < 4; t++) {
                    List<float[]> got = futures.get(t).get();
                    for (int i = 0; i < got.size(); i++) {
                        assertThat(got.get(i)).containsExactly(expected.get(t).get(i));
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** What the Java side checks first, the native side checks again: malformed calls throw, nothing crashes. */
    @Test
    void malformedNativeCallsThrowInsteadOfCrashing() {
        ModelConfig c = ModelDirectory.read(SharedModels.model("stories260K"), false).config();
        try (NativeLlamaLayers layers = NativeLlamaLayers.create(c, 2);
             NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            KvCache cache = new KvCache(manager, c.numLayers(), c.numKvHeads(), 8, c.headDim());
            Segments one = new Segments(new KvCache[]{cache}, new int[]{0}, new int[]{1});
            float[] logits = new float[c.vocabSize()];
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, one, new int[]{0}, logits))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("missing weights");
            assertThatThrownBy(() -> layers.step(new int[]{c.vocabSize()}, null, one, new int[]{0}, logits))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabulary");
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, one, new int[]{0}, new float[3]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits");
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, one, new int[]{1}, logits))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logit row");
            Quantizer quantizer = new Quantizer(QuantScheme.perChannel());
            assertThatThrownBy(() -> layers.setInt8Linear(0, NativeLlamaLayers.O,
                    quantizer.quantize(new float[4 * 4], 4, 4), null))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> layers.setInt8Linear(7, NativeLlamaLayers.O,
                    quantizer.quantize(new float[64 * 64], 64, 64), null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layer");
            assertThatThrownBy(() -> layers.setNorms(0, new float[3], new float[64]))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * A native decode step allocates nothing on the Java heap: ids, logit rows and logits are the caller's arrays, the
     * cache addresses its cache's own (measured with the thread's allocation counter over 100 steps after warm-up).
     */
    @Test
    void aNativeStepAllocatesNothingInJava() {
        try (CausalLanguageModel model = load(SharedModels.model("stories260K"), WeightType.F32, 1);
             NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            ModelConfig c = model.config();
            NativeLlamaLayers layers = ((LlamaModel) model).nativeLayers();
            KvCache cache = new KvCache(manager, c.numLayers(), c.numKvHeads(), 160, c.headDim());
            Segments[] steps = new Segments[150];
            for (int i = 0; i < steps.length; i++) {
                steps[i] = new Segments(new KvCache[]{cache}, new int[]{i}, new int[]{1});
            }
            int[] ids = {5};
            int[] rows = {0};
            float[] logits = new float[c.vocabSize()];
            for (int i = 0; i < 50; i++) {
                layers.step(ids, null, steps[i], rows, logits);
            }
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 50; i < steps.length; i++) {
                layers.step(ids, null, steps[i], rows, logits);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(allocated).as("bytes allocated by 100 steps").isLessThan(1024);
            assertThat(logits).as("the steps wrote the caller's array").isNotEqualTo(new float[c.vocabSize()]);
        }
    }

    @Test
    void aClosedModelRefusesWork() {
        CausalLanguageModel model = load(smollm, WeightType.INT8, 1);
        Sequence s = model.newSequence(4);
        model.close();
        assertThatThrownBy(() -> s.forward(new int[]{5})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> model.newSequence(4)).isInstanceOf(AssistantException.class)
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
    }
}
