package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.delivery.CallbackThreads;
import dev.assistant.core.delivery.EventRelay;
import dev.assistant.core.delivery.TextPublisher;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelFiles;
import dev.assistant.core.pipeline.Call;
import dev.assistant.core.pipeline.CallStep;
import dev.assistant.core.pipeline.Failures;
import dev.assistant.core.pipeline.SchedulingStep;
import dev.assistant.core.tokenizer.ModelTokenizer;
import dev.assistant.api.metrics.RequestMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * An assistant running a language model inside this JVM.
 *
 * <p>Build one with {@link #builder()}, share it between threads, and {@link #close()} it to return the model's
 * memory and stop its threads. Every call passes the configured steps (authentication, authorization, rate limits,
 * metrics) and the scheduler before it reaches the model; every failure is an {@link AssistantException} with an
 * {@link ErrorCode}.
 *
 * <p>Three ways to call: synchronous ({@link #chat}), asynchronous ({@link #chatAsync}) and streaming
 * ({@link #chatStream} with a listener, {@link #chatPublisher} as a {@link Flow.Publisher} of text). The same exist
 * for plain-text continuation ({@link #generate} ...).
 *
 * <p>Threads: no thread waits for a call. One engine thread runs the model for every request; one timer thread
 * ends calls at their deadline; stream events, the completion of futures and the outcome actions of the steps
 * (metrics, token charging) run on the callback executor (the builder's {@code callbackExecutor}, by default a
 * small pool of daemon threads owned by the assistant), in order per request. {@link #close()} stops them all.
 */
public final class Assistant implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Assistant.class);
    /** How long {@link #close()} lets the callback pool deliver the events of the requests it ended. */
    private static final long CLOSE_GRACE_MILLIS = 5_000;

    private final ModelInfo info;
    private final CausalLanguageModel model;
    private final ModelTokenizer tokenizer;
    private final SchedulingStep scheduler;
    private final CallStep.Chain chain;
    private final Executor callbacks;
    private final Runnable stopCallbacks;
    private final ScheduledExecutorService timers;
    private final CallbackThreads timerThreads;
    private final Duration defaultTimeout;
    private final LongSupplier nanoClock;
    private final RandomGenerator ids;
    private final RequestMetrics metrics;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ModelFiles modelFiles;
    /** The changes last reported, so each new state of the directory is logged once. */
    private List<String> reportedChanges = List.of();

    /**
     * @param callbacks      where events and completions run (never rejects: see the builder)
     * @param stopCallbacks  stops the callback executor if the assistant owns it (waits for its threads)
     * @param timers         the one-thread scheduler of deadlines, owned
     * @param timerThreads   its thread factory, to wait for its thread at close
     */
    Assistant(ModelInfo info, CausalLanguageModel model, ModelTokenizer tokenizer, SchedulingStep scheduler,
              CallStep.Chain chain, Executor callbacks, Runnable stopCallbacks, ScheduledExecutorService timers,
              CallbackThreads timerThreads, Duration defaultTimeout, LongSupplier nanoClock, RandomGenerator ids,
              RequestMetrics metrics, ModelFiles modelFiles) {
        this.modelFiles = modelFiles;
        this.metrics = metrics;
        this.callbacks = callbacks;
        this.stopCallbacks = stopCallbacks;
        this.timers = timers;
        this.timerThreads = timerThreads;
        this.defaultTimeout = defaultTimeout;
        this.info = info;
        this.model = model;
        this.tokenizer = tokenizer;
        this.scheduler = scheduler;
        this.chain = chain;
        this.nanoClock = nanoClock;
        this.ids = ids;
    }

    public static AssistantBuilder builder() {
        return new AssistantBuilder();
    }

    /** The loaded model. */
    public ModelInfo modelInfo() {
        return info;
    }

    /**
     * How the model directory's files ({@code config.json}, {@code *.safetensors}) differ from when this assistant
     * loaded them, one line per file; empty when unchanged. The loaded model does not depend on them (engines copy
     * the weights at load), but a changed directory no longer holds what runs: reload from it to serve the new
     * version. A new set of changes is logged once, at WARN.
     */
    public List<String> modelFileChanges() {
        List<String> changes = modelFiles.changes();
        synchronized (modelFiles) {
            if (!changes.isEmpty() && !changes.equals(reportedChanges)) {
                LOG.warn("model files of '{}' changed under the running assistant (it keeps serving the model it "
                        + "loaded): {}", info.name(), changes);
            }
            reportedChanges = changes;
        }
        return changes;
    }

    /** The model's tokenizer (thread-safe). */
    public ModelTokenizer tokenizer() {
        return tokenizer;
    }

    /** Requests waiting for a worker. */
    public int queueDepth() {
        return scheduler.queueDepth();
    }

    /** Requests the engine is working on (in the batch, holding a KV cache). */
    public int activeRequests() {
        return scheduler.active();
    }

    // ---- chat -------------------------------------------------------------------------------------------------

    /** Answers a conversation, blocking until done (or until its timeout). */
    public Completion chat(ChatRequest request) {
        return await(chatAsync(request));
    }

    /**
     * Answers a conversation without blocking the caller (and without parking any thread: the engine completes the
     * future). Cancelling the future stops generation at the next token; it fails with {@code TIMEOUT} at the
     * request's deadline even while the engine is busy.
     */
    public CompletableFuture<Completion> chatAsync(ChatRequest request) {
        return start(request, null, null);
    }

    /**
     * Answers a conversation, streaming text to {@code listener} as it is produced. The listener runs on the
     * callback executor, never on the engine thread, and gets its request's events in order; the future completes
     * after the listener's last event (a cancel or the deadline, which bounds queueing and generation, not the
     * listener's own pace, complete it at once). Cancelling the returned future stops generation at the next token.
     */
    public CompletableFuture<Completion> chatStream(ChatRequest request, StreamListener listener) {
        return start(request, null, java.util.Objects.requireNonNull(listener, "listener"));
    }

    /**
     * The answer as a publisher of text pieces. Each subscription runs the request once, from its first
     * {@code request(n)}; at most the requested pieces are delivered, the rest wait in the subscription (at most
     * one per generated token); cancelling the subscription stops generation. Errors arrive as
     * {@link AssistantException} in {@code onError}.
     */
    public Flow.Publisher<String> chatPublisher(ChatRequest request) {
        return new TextPublisher(listener -> chatStream(request, listener), callbacks);
    }

    // ---- generate ---------------------------------------------------------------------------------------------

    /** Continues a plain-text prompt (or exact token ids), blocking until done. */
    public Completion generate(GenerateRequest request) {
        return await(generateAsync(request));
    }

    public CompletableFuture<Completion> generateAsync(GenerateRequest request) {
        return start(null, request, null);
    }

    public CompletableFuture<Completion> generateStream(GenerateRequest request, StreamListener listener) {
        return start(null, request, java.util.Objects.requireNonNull(listener, "listener"));
    }

    public Flow.Publisher<String> generatePublisher(GenerateRequest request) {
        return new TextPublisher(listener -> generateStream(request, listener), callbacks);
    }

    /**
     * The logits of the last position of {@code inputIds} (length vocab), without generating. Runs on the calling
     * thread and bypasses the request steps: intended for evaluation and diagnostics by the host itself.
     */
    public float[] lastPositionLogits(int[] inputIds) {
        checkOpen();
        if (inputIds.length == 0 || inputIds.length > info.contextLength()) {
            throw new AssistantException(inputIds.length == 0 ? ErrorCode.INVALID_REQUEST : ErrorCode.CONTEXT_OVERFLOW,
                    "input of " + inputIds.length + " tokens; the context holds 1 to " + info.contextLength());
        }
        try (Sequence sequence = model.newSequence(inputIds.length)) {
            return sequence.forward(inputIds);
        } catch (IllegalArgumentException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, e.getMessage(), e);
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------

    /**
     * Starts a call: the chain runs on this thread up to the engine's queue and returns; the engine (or the timer,
     * or a cancel) ends it later. The caller's future is settled on the callback executor after the listener's last
     * event, except that a cancel settles it at once and the deadline settles it on time whatever the listener does.
     */
    private CompletableFuture<Completion> start(ChatRequest chat, GenerateRequest generate, StreamListener listener) {
        checkOpen();
        long now = nanoClock.getAsLong();
        GenerationOptions options = chat != null ? chat.options() : generate.options();
        Duration timeout = options.timeout() != null ? options.timeout() : defaultTimeout;
        long deadline = saturatedAdd(now, timeout.toNanos());
        String id = newRequestId();
        EventRelay relay = new EventRelay(id, listener, callbacks);
        Call call = chat != null ? Call.chat(id, info.name(), chat, relay, now, deadline)
                : Call.generate(id, info.name(), generate, relay, now, deadline);
        CompletableFuture<Completion> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean cancelled = super.cancel(mayInterruptIfRunning); // first: the call's own end must not win
                relay.discardPendingText();
                call.cancel();
                return cancelled;
            }
        };
        ScheduledFuture<?> timer = scheduleDeadline(call, future, timeout, deadline - now);
        chain.proceed(call).whenComplete((completion, error) -> {
            if (timer != null) {
                timer.cancel(false);
            }
            AssistantException failure = error == null ? null : describe(call, error, timeout);
            relay.finish(completion, failure, () -> {
                if (failure == null) {
                    future.complete(completion);
                } else {
                    future.completeExceptionally(failure);
                }
            });
        });
        return future;
    }

    /** At the deadline: stop the call (the engine frees its place at its next step) and fail the future now. */
    private ScheduledFuture<?> scheduleDeadline(Call call, CompletableFuture<Completion> future, Duration timeout,
                                                long delayNanos) {
        if (call.token().deadlineNanos() == Long.MAX_VALUE) {
            return null;
        }
        try {
            return timers.schedule(() -> {
                if (call.token().expire()) {
                    AssistantException failure = describe(call, call.token().reason(), timeout);
                    callbacks.execute(() -> future.completeExceptionally(failure)); // host code: not on the timer
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null; // closing: the engine fails the call anyway
        }
    }

    private static AssistantException describe(Call call, Throwable error, Duration timeout) {
        AssistantException e = Failures.asAssistantException(error, call.requestId());
        if (e.code() == ErrorCode.TIMEOUT) {
            return new AssistantException(ErrorCode.TIMEOUT, "request " + call.requestId() + " did not finish within "
                    + timeout.toMillis() + " ms", e);
        }
        return e;
    }

    /** Waits for a call on the caller's own thread, unwrapping its failure; an interrupt cancels the call. */
    private static Completion await(CompletableFuture<Completion> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = Failures.unwrap(e);
            if (cause instanceof AssistantException ae) {
                throw ae;
            }
            throw new AssistantException(ErrorCode.INTERNAL, "the request failed: " + cause, cause);
        } catch (CancellationException e) {
            throw new AssistantException(ErrorCode.CANCELLED, "the request was cancelled", e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new AssistantException(ErrorCode.CANCELLED, "interrupted while waiting for the answer", e);
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private String newRequestId() {
        synchronized (ids) {
            return String.format("req-%016x", ids.nextLong());
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the assistant is closed");
        }
    }

    /**
     * Stops the engine (calls still queued or running fail with {@code ENGINE_UNAVAILABLE}), the timer and the
     * callback pool it owns (after up to 5 s to deliver the events of the calls it ended; a host's own executor is
     * left alone), then frees the model and tokenizer. When it returns, no thread of the assistant is left.
     * Idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            scheduler.close();
            timers.shutdownNow();
            timerThreads.awaitExit(CLOSE_GRACE_MILLIS);
            stopCallbacks.run();
            model.close();
            tokenizer.close();
            metrics.modelUnloaded(info.name());
        }
    }

    @Override
    public String toString() {
        return "Assistant[" + info.name() + ", " + info.architecture() + ", " + info.computeType() + " on " + info.device()
                + "]";
    }
}
