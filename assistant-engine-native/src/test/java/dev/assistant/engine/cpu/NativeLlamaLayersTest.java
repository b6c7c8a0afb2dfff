package dev.assistant.engine.cpu;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.demo.RandomModelWriter;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.KvCacheType;
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
 * The native forward pass ({@link NativeLlamaLayers}, {@code src/main/c}): the same logits on every kernel the
 * library has; a sequence's logits independent of its batch and of the thread count, bit for bit; concurrent callers
 * serialized; malformed calls refused with exceptions, not crashes. (Its agreement with libtorch's layers is tested
 * in assistant-engine-pytorch, which has both.)
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

    private static CausalLanguageModel load(Path dir, WeightType type, int threads) {
        return load(dir, LoadOptions.builder().device("cpu").weightType(type).threads(threads).build());
    }

    /** Through the engine SPI, as a host loads: on this classpath (no libtorch) only the native engine exists. */
    static CausalLanguageModel load(Path dir, LoadOptions options) {
        return EngineProviders.discover().load(ModelDirectory.read(dir, false), options);
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
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
                logits = s.forward(new int[]{argmax(logits)});
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
    void llamaModelsLoadOnTheNativeEngine(WeightType type) {
        try (CausalLanguageModel model = load(smollm, type, 1)) {
            assertThat(model).isInstanceOf(NativeLlamaModel.class);
            assertThat(model.computeType()).isEqualTo(type == WeightType.F32 ? "f32" : "int8");
        }
    }

    /**
     * Every kernel of the library (AVX2, plain x86-64, besides the default AVX-512 one) computes the same model:
     * float32 within rounding; INT8 within the difference of 16-bit and float activations.
     */
    @ParameterizedTest
    @CsvSource({"avx2,F32", "avx2,INT8", "x86-64,F32", "x86-64,INT8"})
    void everyKernelComputesTheSameLogits(String kernels, WeightType type) {
        // the VNNI products with 16-bit activations: other kernels multiply INT8 weights by float activations
        try (CausalLanguageModel best = load(smollm, LoadOptions.builder().device("cpu").weightType(type).threads(2)
                .engineOption(NativeEngineProvider.ACTIVATIONS_OPTION, ActivationPrecision.INT16.optionValue())
                .build());
             CausalLanguageModel other = load(smollm, LoadOptions.builder().device("cpu").weightType(type).threads(2)
                     .engineOption("native.kernels", kernels).build())) {
            assertThat(((NativeLlamaModel) other).instructionSet()).isEqualTo(kernels);
            int[] prompt = prompt(70, best.config().vocabSize(), 3); // > 64 positions: the blocked score loop
            List<float[]> a = run(best, prompt, 3);
            List<float[]> b = run(other, prompt, 0);
            try (Sequence s = other.newSequence(prompt.length + 3)) {
                float[] logits = s.forward(prompt);
                for (int i = 0; i < a.size(); i++) {
                    if (i > 0) {
                        logits = s.forward(new int[]{argmax(a.get(i - 1))});
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
                    int next = argmax(alone.get(i - 1));
                    float[][] step = i == 1
                            ? two.forwardBatch(List.of(a, c), List.of(new int[]{next}, p))
                            : two.forwardBatch(List.of(b, a), List.of(new int[]{11}, new int[]{next}));
                    assertThat(i == 1 ? step[0] : step[1]).as("step %d", i).containsExactly(alone.get(i));
                }
            }
        }
    }

    /**
     * {@code forwardBatchInto} writes the bits {@code forwardBatch} returns into the caller's own arrays, leaves an
     * array past the sequences alone, and refuses a wrong array before anything is evaluated.
     */
    @Test
    void forwardBatchIntoFillsTheCallersArrays() {
        try (CausalLanguageModel model = load(smollm, WeightType.INT8, 2)) {
            int vocab = model.config().vocabSize();
            int[] p = prompt(13, vocab, 6);
            int[] q = prompt(5, vocab, 7);
            try (Sequence a = model.newSequence(16); Sequence b = model.newSequence(16);
                 Sequence c = model.newSequence(16); Sequence d = model.newSequence(16)) {
                float[][] fresh = model.forwardBatch(List.of(a, b), List.of(p, q));
                float[][] mine = {new float[vocab], new float[vocab], new float[vocab]};
                java.util.Arrays.fill(mine[2], Float.NaN);
                float[] first = mine[0];
                model.forwardBatchInto(List.of(c, d), List.of(p, q), mine);
                assertThat(mine[0]).isSameAs(first).containsExactly(fresh[0]);
                assertThat(mine[1]).containsExactly(fresh[1]);
                assertThat(mine[2]).as("past the sequences").containsOnly(Float.NaN);
                // the next step into the same arrays: the same bits as a step into new ones
                int[] next = {argmax(fresh[0])};
                float[][] again = model.forwardBatch(List.of(a), List.of(next));
                model.forwardBatchInto(List.of(c), List.of(next), mine);
                assertThat(mine[0]).containsExactly(again[0]);

                int before = c.length();
                assertThatThrownBy(() -> model.forwardBatchInto(List.of(c, d), List.of(next, next),
                        new float[][]{new float[vocab], new float[vocab - 1]}))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits array 1");
                assertThatThrownBy(() -> model.forwardBatchInto(List.of(c, d), List.of(next, next),
                        new float[][]{new float[vocab]}))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 logits arrays for 2");
                assertThat(c.length()).as("nothing evaluated").isEqualTo(before);
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
        try (NativeLlamaLayers layers = NativeLlamaLayers.create(c, 2, "avx512");
             NativeKvCache cache = new NativeKvCache(KvCacheType.F32, c.numLayers(), c.numKvHeads(), 8, c.headDim())) {
            float[][] logits = new float[1][c.vocabSize()];
            long[] keys = cache.keyAddresses();
            long[] values = cache.valueAddresses();
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, new int[]{1}, new int[]{0}, new int[]{8},
                    keys, values, new int[]{0}, logits))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("missing weights");
            assertThatThrownBy(() -> layers.step(new int[]{c.vocabSize()}, null, new int[]{1}, new int[]{0},
                    new int[]{8}, keys, values, new int[]{0}, logits))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabulary");
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, new int[]{1}, new int[]{8}, new int[]{8},
                    keys, values, new int[]{0}, logits))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, new int[]{1}, new int[]{0}, new int[]{8},
                    keys, values, new int[]{1}, logits))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logit row");
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, new int[]{1}, new int[]{0}, new int[]{8},
                    keys, values, new int[]{0}, new float[1][3]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits");
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, new int[]{1}, new int[]{0}, new int[]{8},
                    keys, values, new int[]{0}, new float[1][]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits");
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, new int[]{1}, new int[]{0}, new int[]{8},
                    keys, values, new int[]{0}, new float[2][c.vocabSize()]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits");
            assertThatThrownBy(() -> layers.step(new int[]{1}, null, new int[]{1}, new int[]{0}, new int[]{8},
                    new long[1], values, new int[]{0}, logits))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segment arguments");
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
     * A native decode step allocates nothing on the Java heap beyond its caller's arrays (measured with the thread's
     * allocation counter over 100 steps after warm-up): token ids, cache addresses and logits go in and out as they
     * are.
     */
    @Test
    void aNativeStepAllocatesNothingInJava() {
        try (CausalLanguageModel model = load(SharedModels.model("stories260K"), WeightType.F32, 1)) {
            ModelConfig c = model.config();
            NativeLlamaLayers layers = ((NativeLlamaModel) model).layers();
            try (NativeKvCache cache = new NativeKvCache(KvCacheType.F32, c.numLayers(), c.numKvHeads(), 160, c.headDim())) {
                int[] ids = {5};
                int[] one = {1};
                int[] past = {0};
                int[] capacity = {160};
                int[] rows = {0};
                long[] keys = cache.keyAddresses();
                long[] values = cache.valueAddresses();
                float[][] logits = new float[1][c.vocabSize()];
                for (int i = 0; i < 50; i++) {
                    past[0] = i;
                    layers.step(ids, null, one, past, capacity, keys, values, rows, logits);
                }
                com.sun.management.ThreadMXBean threads =
                        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 50; i < 150; i++) {
                    past[0] = i;
                    layers.step(ids, null, one, past, capacity, keys, values, rows, logits);
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                assertThat(allocated).as("bytes allocated by 100 steps").isLessThan(1024);
                assertThat(logits[0]).as("the steps wrote the caller's array").isNotEqualTo(new float[c.vocabSize()]);
            }
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
