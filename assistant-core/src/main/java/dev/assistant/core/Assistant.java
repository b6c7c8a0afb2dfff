package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelFiles;
import dev.assistant.core.pipeline.Call;
import dev.assistant.core.pipeline.CallStep;
import dev.assistant.core.pipeline.SchedulingStep;
import dev.assistant.core.tokenizer.ModelTokenizer;
import dev.assistant.core.tools.ToolCallDelta;
import dev.assistant.api.metrics.RequestMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
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
 */
public final class Assistant implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Assistant.class);
    private static final StreamListener SILENT = delta -> {
    };

    private final ModelInfo info;
    private final CausalLanguageModel model;
    private final ModelTokenizer tokenizer;
    private final SchedulingStep scheduler;
    private final CallStep.Chain chain;
    private final ExecutorService callers;
    private final LongSupplier nanoClock;
    private final RandomGenerator ids;
    private final RequestMetrics metrics;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ModelFiles modelFiles;
    /** The changes last reported, so each new state of the directory is logged once. */
    private List<String> reportedChanges = List.of();

    Assistant(ModelInfo info, CausalLanguageModel model, ModelTokenizer tokenizer, SchedulingStep scheduler,
              CallStep.Chain chain, LongSupplier nanoClock, RandomGenerator ids, RequestMetrics metrics,
              ModelFiles modelFiles) {
        this.modelFiles = modelFiles;
        this.metrics = metrics;
        this.info = info;
        this.model = model;
        this.tokenizer = tokenizer;
        this.scheduler = scheduler;
        this.chain = chain;
        this.nanoClock = nanoClock;
        this.ids = ids;
        this.callers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "assistant-caller");
            t.setDaemon(true);
            return t;
        });
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

    // ---- chat -------------------------------------------------------------------------------------------------

    /** Answers a conversation, blocking until done. */
    public Completion chat(ChatRequest request) {
        return run(Call.chat(newRequestId(), info.name(), request, SILENT, nanoClock.getAsLong()));
    }

    /** Answers a conversation without blocking the caller. */
    public CompletableFuture<Completion> chatAsync(ChatRequest request) {
        return chatStream(request, SILENT);
    }

    /**
     * Answers a conversation, streaming text to {@code listener} as it is produced. Cancelling the returned future
     * stops generation at the next token.
     */
    public CompletableFuture<Completion> chatStream(ChatRequest request, StreamListener listener) {
        return start(Call.chat(newRequestId(), info.name(), request, guard(listener), nanoClock.getAsLong()), listener);
    }

    /**
     * The answer as a publisher of text pieces. Each subscription runs the request once; cancelling the
     * subscription stops generation. Errors arrive as {@link AssistantException} in {@code onError}.
     */
    public Flow.Publisher<String> chatPublisher(ChatRequest request) {
        return subscriber -> publish(subscriber, listener -> chatStream(request, listener));
    }

    // ---- generate ---------------------------------------------------------------------------------------------

    /** Continues a plain-text prompt (or exact token ids), blocking until done. */
    public Completion generate(GenerateRequest request) {
        return run(Call.generate(newRequestId(), info.name(), request, SILENT, nanoClock.getAsLong()));
    }

    public CompletableFuture<Completion> generateAsync(GenerateRequest request) {
        return generateStream(request, SILENT);
    }

    public CompletableFuture<Completion> generateStream(GenerateRequest request, StreamListener listener) {
        return start(Call.generate(newRequestId(), info.name(), request, guard(listener), nanoClock.getAsLong()), listener);
    }

    public Flow.Publisher<String> generatePublisher(GenerateRequest request) {
        return subscriber -> publish(subscriber, listener -> generateStream(request, listener));
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

    private Completion run(Call call) {
        checkOpen();
        try {
            return chain.proceed(call);
        } catch (AssistantException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AssistantException(ErrorCode.INTERNAL, "request " + call.requestId() + " failed: " + e, e);
        }
    }

    private CompletableFuture<Completion> start(Call call, StreamListener listener) {
        checkOpen();
        CompletableFuture<Completion> future = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                call.cancel();
                return super.cancel(mayInterruptIfRunning);
            }
        };
        callers.execute(() -> {
            try {
                Completion c = run(call);
                safely(() -> listener.onComplete(c));
                future.complete(c);
            } catch (AssistantException e) {
                safely(() -> listener.onError(e));
                future.completeExceptionally(e);
            }
        });
        return future;
    }

    private void publish(Flow.Subscriber<? super String> subscriber,
                         java.util.function.Function<StreamListener, CompletableFuture<Completion>> starter) {
        SubmissionPublisher<String> publisher = new SubmissionPublisher<>(callers, Flow.defaultBufferSize());
        publisher.subscribe(subscriber);
        CompletableFuture<?>[] running = new CompletableFuture<?>[1];
        running[0] = starter.apply(new StreamListener() {
            @Override
            public void onText(String delta) {
                if (publisher.getNumberOfSubscribers() == 0) {
                    CompletableFuture<?> f = running[0];
                    if (f != null) {
                        f.cancel(false); // the subscriber went away: stop generating
                    }
                    return;
                }
                publisher.submit(delta);
            }

            @Override
            public void onComplete(Completion completion) {
                publisher.close();
            }

            @Override
            public void onError(AssistantException error) {
                publisher.closeExceptionally(error);
            }
        });
    }

    /** A listener that cannot break generation: its failures are logged and cancel only its own request. */
    private static StreamListener guard(StreamListener listener) {
        return new StreamListener() {
            @Override
            public void onText(String delta) {
                onChoiceText(0, delta);
            }

            @Override
            public void onChoiceText(int index, String delta) {
                try {
                    listener.onChoiceText(index, delta);
                } catch (RuntimeException e) {
                    LOG.warn("stream listener failed; the text piece is dropped", e);
                }
            }

            @Override
            public void onToolCall(ToolCallDelta delta) {
                try {
                    listener.onToolCall(delta);
                } catch (RuntimeException e) {
                    LOG.warn("stream listener failed; the tool call piece is dropped", e);
                }
            }
        };
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("stream listener failed", e);
        }
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

    /** Stops the workers, then frees the model and tokenizer. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            scheduler.close();
            callers.shutdownNow();
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
