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
 * One decode step ({@code m = 1}) through an INT8 linear layer of SmolLM-135M / TinyLlama shapes ({@code N x K}, the
 * last one SmolLM's tied LM head). GB/s of int8 weights = {@code (N*K + 4*scales) / time}; the setup prints the bytes.
 *
 * <p>{@code fromMemory=true} cycles through copies totalling more than L3, so weights come from DRAM as in a real
 * decode of a whole model; {@code false} measures one cache-resident matrix (an upper bound for the compute path).
 *
 * <p>The forked JVM gets {@code --add-modules jdk.incubator.vector} through {@code jvmArgsAppend}; without it the
 * kernels fall back to the scalar path.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xms2g", "-Xmx2g"})
public class Int8MatVecBenchmark {
    @Param({"576x1536", "1536x576", "2048x5632", "5632x2048", "49152x576"})
    public String shape;

    @Param({"int8-sym-channel-f32scale", "int8-sym-g64-f32scale"})
    public String scheme;

    @Param({"1", "2"})
    public int threads;

    @Param({"true"})
    public boolean fromMemory;

    private QuantizedMatrix[] weights;
    private Int8Kernel kernel;
    private ParallelInt8Kernel parallel;
    private float[] x;
    private float[] y;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        // Compile the vector code before measuring: 1 s warm-up iterations are shorter than C2 takes here.
        Int8Kernels.warmUp(Int8Kernels.best(), QuantScheme.parse(scheme), Duration.ofSeconds(30));
        weights = QuantBenchData.matrices(shape, QuantScheme.parse(scheme), fromMemory);
        QuantizedMatrix w = weights[0];
        x = QuantBenchData.gaussian(new Random(7), w.cols(), 1f);
        y = new float[w.rows()];
        if (threads == 1) {
            kernel = Int8Kernels.best();
        } else {
            parallel = ParallelInt8Kernel.builder().delegate(Int8Kernels.best()).threads(threads).build();
            kernel = parallel;
        }
        System.out.println("# " + Int8Kernels.describeSelection() + "; kernel " + kernel.name() + "; weight bytes "
                + w.sizeInBytes() + " x " + weights.length + " copies");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (parallel != null) {
            parallel.close();
        }
    }

    @Benchmark
    public float matvec() {
        QuantizedMatrix w = weights[next];
        next = next + 1 == weights.length ? 0 : next + 1;
        kernel.matmul(w, x, 1, y);
        return y[0];
    }
}
