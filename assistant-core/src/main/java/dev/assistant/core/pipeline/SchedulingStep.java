package dev.assistant.core.pipeline;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Completion;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounded concurrency in front of the engine: a fixed set of worker threads and a bounded queue. A full queue
 * rejects at once with {@code OVERLOADED}; a request that exceeds its timeout is cancelled (its slot and KV cache
 * freed at the next token) and fails with {@code TIMEOUT}.
 *
 * <p>Workers are daemon threads owned by this step and stopped by {@link #close()}.
 */
public final class SchedulingStep implements CallStep, AutoCloseable {
    private final ThreadPoolExecutor workers;
    private final Duration defaultTimeout;

    public SchedulingStep(int workerCount, int queueCapacity, Duration defaultTimeout) {
        this.defaultTimeout = defaultTimeout;
        this.workers = new ThreadPoolExecutor(workerCount, workerCount, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity), daemonThreads("assistant-worker-"),
                new ThreadPoolExecutor.AbortPolicy());
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Requests waiting for a worker. */
    public int queueDepth() {
        return workers.getQueue().size();
    }

    /** Requests being worked on. */
    public int active() {
        return workers.getActiveCount();
    }

    @Override
    public Completion handle(Call call, Chain next) {
        Future<Completion> future;
        try {
            call.timer().enqueued(workers.getQueue().size() + 1);
            future = workers.submit(() -> {
                call.timer().dequeued(workers.getQueue().size());
                if (call.isCancelled()) {
                    throw new AssistantException(ErrorCode.TIMEOUT, "request " + call.requestId()
                            + " timed out while queued");
                }
                return next.proceed(call);
            });
        } catch (RejectedExecutionException e) {
            if (workers.isShutdown()) {
                throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the assistant is closed");
            }
            throw new AssistantException(ErrorCode.OVERLOADED, "the assistant is at capacity (" + workers.getMaximumPoolSize()
                    + " running, " + workers.getQueue().size() + " queued); retry later", null, null, 0);
        }
        Duration timeout = call.options().timeout() != null ? call.options().timeout() : defaultTimeout;
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.cancel();
            future.cancel(false);
            throw new AssistantException(ErrorCode.TIMEOUT, "request " + call.requestId() + " did not finish within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            call.cancel();
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new AssistantException(ErrorCode.CANCELLED, "interrupted while waiting for request " + call.requestId());
        } catch (CancellationException e) {
            throw new AssistantException(ErrorCode.CANCELLED, "request " + call.requestId() + " was cancelled");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AssistantException ae) {
                throw ae;
            }
            throw new AssistantException(ErrorCode.INTERNAL, "request " + call.requestId() + " failed: " + cause, cause);
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
