package dev.assistant.bench.quant;

import dev.assistant.quant.Int8Kernel;
import dev.assistant.quant.Int8Kernels;
import dev.assistant.quant.ParallelInt8Kernel;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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

/**
 * Prefill through an INT8 linear layer: {@code m} prompt tokens at once. GFLOP/s = {@code 2*m*N*K / time}. The LM head
 * is left out on purpose: a prefill only needs the logits of the last position.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms2g", "-Xmx2g"})
public class Int8PrefillBenchmark {
    @Param({"576x1536", "1536x576", "2048x5632", "5632x2048"})
    public String shape;

    @Param({"int8-sym-channel-f32scale", "int8-sym-g64-f32scale"})
    public String scheme;

    @Param({"32", "512"})
    public int m;

    @Param({"1", "2"})
    public int threads;

    private QuantizedMatrix w;
    private Int8Kernel kernel;
    private ParallelInt8Kernel parallel;
    private float[] x;
    private float[] y;

    @Setup(Level.Trial)
    public void setUp() {
        // Compile the vector code before measuring: 1 s warm-up iterations are shorter than C2 takes here.
        Int8Kernels.warmUp(Int8Kernels.best(), QuantScheme.parse(scheme), Duration.ofSeconds(30));
        w = QuantBenchData.matrices(shape, QuantScheme.parse(scheme), false)[0];
        x = QuantBenchData.gaussian(new Random(7), m * w.cols(), 1f);
        y = new float[m * w.rows()];
        if (threads == 1) {
            kernel = Int8Kernels.best();
        } else {
            parallel = ParallelInt8Kernel.builder().delegate(Int8Kernels.best()).threads(threads).build();
            kernel = parallel;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (parallel != null) {
            parallel.close();
        }
    }

    @Benchmark
    public float prefill() {
        kernel.matmul(w, x, m, y);
        return y[0];
    }
}
