package dev.assistant.bench.engine;

import dev.assistant.core.demo.DemoModels;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.model.ModelDirectory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Batch-1 decoding and prefill on the generated benchmark models (SmolLM-135M and TinyLlama-1.1B shapes).
 *
 * <p>Scores are milliseconds per operation: {@code decode128} generates 128 tokens after a 32-token prompt (tokens/s
 * = 128000 / score); {@code prefill512} evaluates a 512-token prompt (tokens/s = 512000 / score). Load time and weight
 * memory are printed by the setup. Models are written once to {@code $ASSISTANT_CACHE_DIR} (default
 * ~/.cache/assistant-sdk) by the project's own generator.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dai.djl.offline=true", "--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class DecodeBenchmark {
    @Param({"smollm-135m-shape", "tinyllama-1.1b-shape"})
    public String shape;

    @Param({"f32", "int8"})
    public String dtype;

    @Param({"1"})
    public int threads;

    private CausalLanguageModel model;
    private final int[] prompt32 = new int[32];
    private final int[] prompt512 = new int[512];

    @Setup(Level.Trial)
    public void load() {
        Path dir = DemoModels.ensure(DemoModels.defaultCacheDir(), ModelShape.byName(shape), DemoModels.DEFAULT_SEED);
        long start = System.nanoTime();
        model = EngineProviders.discover().load(ModelDirectory.read(dir, false), LoadOptions.builder().device("cpu")
                .weightType(WeightType.parse(dtype)).threads(threads).build());
        System.out.printf("%n[load] %s %s: %.0f ms, weights %.1f MiB%n", shape, dtype, (System.nanoTime() - start) / 1e6,
                model.weightBytes() / (double) (1 << 20));
        for (int i = 0; i < prompt512.length; i++) {
            prompt512[i] = 300 + (i * 7919) % 20000;
        }
        System.arraycopy(prompt512, 0, prompt32, 0, 32);
    }

    @TearDown(Level.Trial)
    public void close() {
        model.close();
    }

    @Benchmark
    public int decode128() {
        try (Sequence s = model.newSequence(32 + 128)) {
            float[] logits = s.forward(prompt32);
            int token = 0;
            for (int i = 0; i < 128; i++) {
                token = GreedyDecode.argmax(logits);
                if (i < 127) {
                    logits = s.forward(new int[]{token});
                }
            }
            return token;
        }
    }

    @Benchmark
    public float prefill512() {
        try (Sequence s = model.newSequence(512)) {
            return s.forward(prompt512)[0];
        }
    }

}
