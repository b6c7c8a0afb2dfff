package dev.assistant.core.delivery;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The assistant's default callback executor: a fixed number of daemon threads, started on demand and ended after
 * 30 s without work, so an idle assistant holds none. Its queue is not bounded here because what is queued is:
 * each request submits at most one task per generated token plus a few for its start and end. A listener that
 * blocks holds one of these threads; when all are blocked, other requests' events wait (generation does not):
 * a host whose listeners block for long passes its own executor instead.
 */
public final class CallbackPool implements Executor, AutoCloseable {
    /** Threads of the default pool: enough for a few slow listeners beside the fast ones, few enough to stay small. */
    public static final int DEFAULT_THREADS = 4;
    private static final Logger LOG = LoggerFactory.getLogger(CallbackPool.class);

    private final ThreadPoolExecutor pool;
    private final CallbackThreads threads;

    public CallbackPool(String threadNamePrefix, int size) {
        this.threads = new CallbackThreads(threadNamePrefix);
        this.pool = new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
        pool.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code task} on the pool; once the pool is closed, on the calling thread (nothing is ever dropped). */
    @Override
    public void execute(Runnable task) {
        try {
            pool.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** Threads of the pool alive now. */
    public int liveThreads() {
        return threads.liveCount();
    }

    /**
     * Lets queued tasks finish for up to {@code graceMillis}, then interrupts what is left, and waits for the
     * threads to end.
     */
    public void close(long graceMillis) {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(graceMillis, TimeUnit.MILLISECONDS)) {
                LOG.warn("callbacks still running {} ms after close (a stream listener that blocks?); interrupting them",
                        graceMillis);
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (!threads.awaitExit(1_000)) {
            LOG.warn("a callback thread did not end within 1 s of close");
        }
    }

    @Override
    public void close() {
        close(5_000);
    }

    /** {@code executor}, except that a task it refuses runs on the calling thread instead of being lost. */
    public static Executor inlineWhenRejected(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return task -> {
            try {
                executor.execute(task);
            } catch (RejectedExecutionException e) {
                task.run();
            }
        };
    }
}
