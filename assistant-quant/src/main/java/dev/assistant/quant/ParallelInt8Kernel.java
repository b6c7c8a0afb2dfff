package dev.assistant.quant;

import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Splits the output rows of each call across threads: the calling thread and up to {@code threads - 1} helpers
 * claim chunks of rows from a shared counter until none are left, so the caller never waits for a helper that has
 * not started (it takes the remaining chunks itself), a busy or saturated executor only costs parallelism, and calls
 * from inside the executor's own threads cannot deadlock.
 *
 * <p>Small calls run on the calling thread alone: a decode step on a small matrix is over before a parked thread
 * wakes up. A call is split only when each thread gets at least {@link Builder#minWorkPerThread(long)}
 * multiply-adds.
 *
 * <p>Threads come either from an injected {@link Executor} (never shut down here) or from a pool this kernel owns
 * (daemon threads named {@code assistant-int8-*}, stopped by {@link #close()}). Results are bit-identical to the
 * delegate's, whatever the split, because each output is computed by exactly one thread with the delegate's order.
 */
public final class ParallelInt8Kernel implements Int8Kernel, AutoCloseable {
    /**
     * Default split threshold: 512 Ki multiply-adds per thread, so a decode step splits matrices of 1 M weights and
     * more (SmolLM's 576 x 1536 MLP layers, its LM head, TinyLlama's layers) and keeps smaller ones (576 x 576) on the
     * caller, where waking a helper would cost more than it saves. Measured in the README.
     */
    public static final long DEFAULT_MIN_WORK_PER_THREAD = 1L << 19;
    /** Chunks per thread: more than one, so a late helper finds less work taken from it. */
    private static final int CHUNKS_PER_THREAD = 4;
    /** Chunks are multiples of 4 rows, the vector kernel's row block. */
    private static final int ROW_ALIGN = 4;

    private final Int8Kernel delegate;
    private final int threads;
    private final long minWorkPerThread;
    private final Executor executor;
    private final ExecutorService owned;

    private ParallelInt8Kernel(Builder b) {
        this.delegate = b.delegate;
        this.threads = b.threads;
        this.minWorkPerThread = b.minWorkPerThread;
        if (b.executor != null) {
            this.executor = b.executor;
            this.owned = null;
        } else if (threads > 1) {
            this.owned = Executors.newFixedThreadPool(threads - 1, new DaemonFactory());
            this.executor = owned;
        } else {
            this.owned = null;
            this.executor = null;
        }
    }

    /** A builder; {@link Builder#delegate(Int8Kernel)} and {@link Builder#threads(int)} are required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return delegate.name() + "x" + threads;
    }

    /** The threads a large call uses, the caller included. */
    public int threads() {
        return threads;
    }

    public Int8Kernel delegate() {
        return delegate;
    }

    @Override
    public void matmulRows(QuantizedMatrix w, float[] x, int m, float[] bias, float[] y, int rowStart, int rowEnd) {
        KernelArgs.check(w, x, m, bias, y, rowStart, rowEnd);
        int span = rowEnd - rowStart;
        long work = (long) m * span * w.cols();
        int useThreads = (int) Math.min(threads, Math.max(1, work / minWorkPerThread));
        useThreads = Math.min(useThreads, Math.max(1, span / ROW_ALIGN));
        if (useThreads <= 1 || executor == null) {
            delegate.matmulRows(w, x, m, bias, y, rowStart, rowEnd);
            return;
        }
        int chunks = Math.min(useThreads * CHUNKS_PER_THREAD, span / ROW_ALIGN);
        Job job = new Job(w, x, m, bias, y, rowStart, rowEnd, chunks);
        for (int t = 1; t < useThreads; t++) {
            try {
                executor.execute(job::runChunks);
            } catch (RejectedExecutionException e) {
                break; // the caller takes the chunks itself
            }
        }
        job.runChunks();
        job.awaitAll();
    }

    /**
     * Stops the owned pool's threads (waiting briefly for running chunks); an injected executor is left alone.
     * Calls made after close run on the calling thread only.
     */
    @Override
    public void close() {
        if (owned != null) {
            owned.shutdown();
            try {
                if (!owned.awaitTermination(5, TimeUnit.SECONDS)) {
                    owned.shutdownNow();
                }
            } catch (InterruptedException e) {
                owned.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "ParallelInt8Kernel[" + name() + ", minWorkPerThread=" + minWorkPerThread
                + (owned != null ? ", owned pool" : executor != null ? ", injected executor" : "") + "]";
    }

    /** One call's chunks, claimed by whichever thread gets there first. */
    private final class Job {
        final QuantizedMatrix w;
        final float[] x;
        final int m;
        final float[] bias;
        final float[] y;
        final int rowStart;
        final int rowEnd;
        final int chunks;
        final int chunkRows;
        final AtomicInteger next = new AtomicInteger();
        final CountDownLatch done;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(QuantizedMatrix w, float[] x, int m, float[] bias, float[] y, int rowStart, int rowEnd, int chunks) {
            this.w = w;
            this.x = x;
            this.m = m;
            this.bias = bias;
            this.y = y;
            this.rowStart = rowStart;
            this.rowEnd = rowEnd;
            int span = rowEnd - rowStart;
            int per = (span + chunks - 1) / chunks;
            this.chunkRows = (per + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN;
            this.chunks = (span + chunkRows - 1) / chunkRows;
            this.done = new CountDownLatch(this.chunks);
        }

        void runChunks() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                int r0 = rowStart + c * chunkRows;
                int r1 = Math.min(r0 + chunkRows, rowEnd);
                try {
                    delegate.matmulRows(w, x, m, bias, y, r0, r1);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }
        }

        void awaitAll() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    // Helpers still write into y: returning early would hand the caller a half-written array.
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable t = failure.get();
            if (t instanceof RuntimeException) {
                throw (RuntimeException) t;
            }
            if (t instanceof Error) {
                throw (Error) t;
            }
        }
    }

    private static final class DaemonFactory implements ThreadFactory {
        private static final AtomicInteger POOLS = new AtomicInteger();
        private final int pool = POOLS.incrementAndGet();
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "assistant-int8-" + pool + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }

    /** Fail-fast builder: each option set at most once, validated on set. */
    public static final class Builder {
        private Int8Kernel delegate;
        private int threads;
        private Long minWorkPerThreadSet;
        private long minWorkPerThread = DEFAULT_MIN_WORK_PER_THREAD;
        private Executor executor;

        private Builder() {
        }

        /** The single-threaded kernel each thread runs, typically {@link Int8Kernels#best()}. */
        public Builder delegate(Int8Kernel kernel) {
            if (delegate != null) {
                throw new IllegalStateException("delegate already set");
            }
            if (kernel instanceof ParallelInt8Kernel) {
                throw new IllegalArgumentException("delegate must be a single-threaded kernel");
            }
            this.delegate = Objects.requireNonNull(kernel, "kernel");
            return this;
        }

        /** Threads per large call, the caller included: 1 to 256. */
        public Builder threads(int n) {
            if (threads != 0) {
                throw new IllegalStateException("threads already set");
            }
            if (n < 1 || n > 256) {
                throw new IllegalArgumentException("threads must be in [1, 256], was " + n);
            }
            this.threads = n;
            return this;
        }

        /**
         * Runs helpers on this executor instead of an owned pool; {@link ParallelInt8Kernel#close()} will not shut
         * it down. It should have {@code threads - 1} threads free for the kernel to gain anything.
         */
        public Builder executor(Executor e) {
            if (executor != null) {
                throw new IllegalStateException("executor already set");
            }
            this.executor = Objects.requireNonNull(e, "executor");
            return this;
        }

        /** Multiply-adds each thread must get before a call is split (default {@value #DEFAULT_MIN_WORK_PER_THREAD}). */
        public Builder minWorkPerThread(long macs) {
            if (minWorkPerThreadSet != null) {
                throw new IllegalStateException("minWorkPerThread already set");
            }
            if (macs < 1) {
                throw new IllegalArgumentException("minWorkPerThread must be positive, was " + macs);
            }
            this.minWorkPerThreadSet = macs;
            this.minWorkPerThread = macs;
            return this;
        }

        public ParallelInt8Kernel build() {
            if (delegate == null) {
                throw new IllegalStateException("delegate is required");
            }
            if (threads == 0) {
                throw new IllegalStateException("threads is required");
            }
            return new ParallelInt8Kernel(this);
        }
    }
}
