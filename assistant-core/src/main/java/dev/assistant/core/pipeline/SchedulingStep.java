package dev.assistant.core.pipeline;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Completion;
import dev.assistant.core.generation.BatchingEngine;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The scheduler's place in the request path: calls reach the {@link BatchingEngine} (bounded batch, bounded queue
 * fair between callers, per-request timeouts, memory budget) through this step. It refuses calls early, before any
 * tokenization, when the engine is closed or its queue is already full ({@code ENGINE_UNAVAILABLE},
 * {@code OVERLOADED}); the engine's own admission check stays authoritative. Owns the engine: {@link #close()}
 * stops it.
 */
public final class SchedulingStep implements CallStep, AutoCloseable {
    private final BatchingEngine engine;
    private volatile boolean closed;

    public SchedulingStep(BatchingEngine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
    }

    /** Requests waiting for a place in the batch. */
    public int queueDepth() {
        return engine.queueDepth();
    }

    /** Requests being generated. */
    public int active() {
        return engine.active();
    }

    @Override
    public CompletableFuture<Completion> handle(Call call, Chain next) {
        if (closed) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the assistant is closed");
        }
        int queued = engine.queueDepth();
        int capacity = engine.settings().queueCapacity() + Math.max(0, engine.settings().maxBatch() - engine.active());
        if (queued >= capacity) {
            throw new AssistantException(ErrorCode.OVERLOADED, "the assistant is at capacity (" + engine.active()
                    + " running, " + queued + " queued); retry later", null, null, engine.retryAfterNanos());
        }
        return next.proceed(call);
    }

    /** Stops the engine: requests still queued or running fail with {@code ENGINE_UNAVAILABLE}. */
    @Override
    public void close() {
        closed = true;
        engine.close();
    }
}
