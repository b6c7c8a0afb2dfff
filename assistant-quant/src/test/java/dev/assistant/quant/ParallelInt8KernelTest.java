package dev.assistant.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

class ParallelInt8KernelTest extends KernelContract {
    private static final ParallelInt8Kernel SPLITTING = ParallelInt8Kernel.builder().delegate(Int8Kernels.best())
            .threads(3).minWorkPerThread(1).build();

    @Override
    Int8Kernel kernel() {
        return SPLITTING;
    }

    private static QuantizedMatrix matrix(Random r, int rows, int cols) {
        return new Quantizer(QuantScheme.GROUP_64).quantize(Matrices.weightsWithOutliers(r, rows, cols), rows, cols);
    }

    @Test
    void resultsAreBitIdenticalToTheDelegateWhateverTheSplit() {
        Random r = new Random(41);
        QuantizedMatrix w = matrix(r, 203, 320);
        for (int m : new int[] {1, 7, 16}) {
            float[] x = Matrices.gaussian(r, m * 320, 1f);
            float[] bias = Matrices.gaussian(r, 203, 1f);
            float[] single = new float[m * 203];
            Int8Kernels.best().matmul(w, x, m, bias, single);
            for (int threads : new int[] {2, 3, 5}) {
                try (ParallelInt8Kernel k = ParallelInt8Kernel.builder().delegate(Int8Kernels.best()).threads(threads)
                        .minWorkPerThread(1).build()) {
                    float[] y = new float[m * 203];
                    k.matmul(w, x, m, bias, y);
                    assertThat(y).as("threads=%d m=%d", threads, m).isEqualTo(single);
                }
            }
        }
    }

    @Test
    void callerDoesAllTheWorkWhenTheExecutorNeverRunsTasks() {
        List<Runnable> parked = new ArrayList<>();
        Random r = new Random(42);
        QuantizedMatrix w = matrix(r, 64, 128);
        float[] x = Matrices.gaussian(r, 2 * 128, 1f);
        float[] expected = new float[2 * 64];
        Int8Kernels.best().matmul(w, x, 2, expected);
        try (ParallelInt8Kernel k = ParallelInt8Kernel.builder().delegate(Int8Kernels.best()).threads(4)
                .minWorkPerThread(1).executor(parked::add).build()) {
            float[] y = new float[2 * 64];
            k.matmul(w, x, 2, y);
            assertThat(y).isEqualTo(expected);
            assertThat(parked).hasSize(3);
            parked.forEach(Runnable::run); // late helpers find no chunk left and change nothing
            assertThat(y).isEqualTo(expected);
        }
    }

    @Test
    void rejectingExecutorOnlyCostsParallelism() {
        Random r = new Random(43);
        QuantizedMatrix w = matrix(r, 40, 64);
        float[] x = Matrices.gaussian(r, 64, 1f);
        float[] expected = new float[40];
        Int8Kernels.best().matmul(w, x, 1, expected);
        try (ParallelInt8Kernel k = ParallelInt8Kernel.builder().delegate(Int8Kernels.best()).threads(2)
                .minWorkPerThread(1).executor(task -> {
                    throw new RejectedExecutionException("full");
                }).build()) {
            float[] y = new float[40];
            k.matmul(w, x, 1, y);
            assertThat(y).isEqualTo(expected);
        }
    }

    @Test
    void ownedThreadsAreDaemonsAndStopOnClose() throws Exception {
        List<Thread> before = int8Threads();
        ParallelInt8Kernel k = ParallelInt8Kernel.builder().delegate(Int8Kernels.best()).threads(2)
                .minWorkPerThread(1).build();
        Random r = new Random(44);
        QuantizedMatrix w = matrix(r, 256, 256);
        float[] x = Matrices.gaussian(r, 4 * 256, 1f);
        float[] y = new float[4 * 256];
        for (int i = 0; i < 20; i++) {
            k.matmul(w, x, 4, y);
        }
        List<Thread> workers = int8Threads();
        workers.removeAll(before);
        assertThat(workers).isNotEmpty().allMatch(Thread::isDaemon);
        k.close();
        for (Thread t : workers) {
            t.join(5_000);
            assertThat(t.isAlive()).as(t.getName()).isFalse();
        }
        float[] after = new float[4 * 256];
        k.matmul(w, x, 4, after); // after close: still correct, on the caller
        assertThat(after).isEqualTo(y);
    }

    private static List<Thread> int8Threads() {
        List<Thread> threads = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("assistant-int8-") && t.isAlive()) {
                threads.add(t);
            }
        }
        return threads;
    }

    @Test
    void injectedExecutorIsNotShutDown() {
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            ParallelInt8Kernel k = ParallelInt8Kernel.builder().delegate(Int8Kernels.best()).threads(2)
                    .executor(pool).minWorkPerThread(1).build();
            Random r = new Random(45);
            QuantizedMatrix w = matrix(r, 32, 64);
            k.matmul(w, Matrices.gaussian(r, 64, 1f), 1, new float[32]);
            k.close();
            assertThat(pool.isShutdown()).isFalse();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void smallCallsStayOnTheCallerWithTheDefaultThreshold() {
        List<Runnable> submitted = new ArrayList<>();
        Random r = new Random(46);
        QuantizedMatrix small = matrix(r, 64, 64);
        try (ParallelInt8Kernel k = ParallelInt8Kernel.builder().delegate(Int8Kernels.best()).threads(2)
                .executor(submitted::add).build()) {
            k.matmul(small, Matrices.gaussian(r, 64, 1f), 1, new float[64]);
            assertThat(submitted).isEmpty();
            QuantizedMatrix large = matrix(r, 2048, 1536);
            k.matmul(large, Matrices.gaussian(r, 1536, 1f), 1, new float[2048]);
            assertThat(submitted).hasSize(1);
        }
    }

    @Test
    void builderFailsFast() {
        assertThatThrownBy(() -> ParallelInt8Kernel.builder().threads(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ParallelInt8Kernel.builder().threads(2).threads(2))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ParallelInt8Kernel.builder().threads(2).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("delegate");
        assertThatThrownBy(() -> ParallelInt8Kernel.builder().delegate(SPLITTING))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ParallelInt8Kernel.builder().minWorkPerThread(0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
