package dev.assistant.core.pipeline;

import dev.assistant.core.CallerKey;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.GenerationOptions;
import dev.assistant.core.StreamListener;
import dev.assistant.core.generation.CancellationToken;
import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.security.Principal;
import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.api.metrics.RequestTimer;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request on its way through the assistant's steps: what was asked, by whom, and the state steps share
 * (the authenticated principal, the one {@link CancellationToken} that carries its cancellation and its deadline,
 * and the tokens the model has worked on so far). Created by the facade; mutable only through the fields steps own.
 */
public final class Call {
    /** What the caller wants done; the policy action is derived from it. */
    public enum Operation {
        CHAT("assistant:Chat"), GENERATE("assistant:Generate");

        private final String action;

        Operation(String action) {
            this.action = action;
        }

        /** The CAM-style action name policies use. */
        public String action() {
            return action;
        }

        /** The OpenTelemetry GenAI operation name. */
        public String otelName() {
            return this == CHAT ? "chat" : "text_completion";
        }
    }

    private final String requestId;
    private final Operation operation;
    private final String model;
    private final ChatRequest chat;
    private final GenerateRequest generate;
    private final StreamListener listener;
    private final long startNanos;
    private final CancellationToken token;
    // Written by the engine thread as it works, read by whoever ends the call (possibly before the engine stops).
    private final AtomicInteger promptTokensEvaluated = new AtomicInteger();
    private final AtomicInteger completionTokensProduced = new AtomicInteger();
    private volatile Principal principal;
    private volatile RequestTimer timer;

    private Call(String requestId, Operation operation, String model, ChatRequest chat, GenerateRequest generate,
                 StreamListener listener, long startNanos, long deadlineNanos) {
        this.requestId = requestId;
        this.operation = operation;
        this.model = model;
        this.chat = chat;
        this.generate = generate;
        this.listener = listener;
        this.startNanos = startNanos;
        this.token = new CancellationToken(deadlineNanos);
        this.timer = RequestMetrics.NONE.start(requestInfo());
    }

    /**
     * @param listener      where streamed text goes (the facade's per-request relay)
     * @param startNanos    when the call was received, on the assistant's nano clock
     * @param deadlineNanos when it times out, on the same clock ({@link Long#MAX_VALUE}: never)
     */
    public static Call chat(String requestId, String model, ChatRequest request, StreamListener listener, long startNanos,
                            long deadlineNanos) {
        return new Call(requestId, Operation.CHAT, model, Objects.requireNonNull(request), null, listener, startNanos,
                deadlineNanos);
    }

    public static Call generate(String requestId, String model, GenerateRequest request, StreamListener listener,
                                long startNanos, long deadlineNanos) {
        return new Call(requestId, Operation.GENERATE, model, null, Objects.requireNonNull(request), listener, startNanos,
                deadlineNanos);
    }

    public String requestId() {
        return requestId;
    }

    public Operation operation() {
        return operation;
    }

    /** The model name policies and metrics see. */
    public String model() {
        return model;
    }

    /** The chat request, or null for a generate call. */
    public ChatRequest chatRequest() {
        return chat;
    }

    /** The generate request, or null for a chat call. */
    public GenerateRequest generateRequest() {
        return generate;
    }

    public GenerationOptions options() {
        return chat != null ? chat.options() : generate.options();
    }

    public CallerKey callerKey() {
        return chat != null ? chat.callerKey() : generate.callerKey();
    }

    /** Where streamed text goes; never null. */
    public StreamListener listener() {
        return listener;
    }

    /** When the facade received the call (from the assistant's nano clock). */
    public long startNanos() {
        return startNanos;
    }

    /** The call's one cancellation token; its deadline is the call's deadline. */
    public CancellationToken token() {
        return token;
    }

    public boolean isCancelled() {
        return token.isStopped();
    }

    /** Cancels the call: it ends with {@code CANCELLED} now and leaves the engine at its next step. */
    public void cancel() {
        token.cancel();
    }

    /** The engine started evaluating the call's prompt of {@code tokens} tokens. */
    public void promptEvaluating(int tokens) {
        promptTokensEvaluated.set(tokens);
    }

    /** The engine produced one more token for the call. */
    public void tokenProduced() {
        completionTokensProduced.incrementAndGet();
    }

    /**
     * Model tokens spent on the call so far: its prompt once the engine took it up, plus every token produced.
     * What a call that ends early (cancelled, timed out, failed) is charged.
     */
    public long tokensSpent() {
        return (long) promptTokensEvaluated.get() + completionTokensProduced.get();
    }

    /** The authenticated caller, set by the authentication step (null when callers are not authenticated). */
    public Principal principal() {
        return principal;
    }

    /** The caller's key id (never the key), once known; for logs and metrics. */
    public String keyId() {
        Principal p = principal;
        return p == null ? null : p.keyId();
    }

    /** Records who is calling, as the authentication step established it. */
    public void authenticated(Principal principal) {
        this.principal = java.util.Objects.requireNonNull(principal, "principal");
        timer.identified(principal.keyId());
    }

    /** What metrics know of this call: ids, model and operation, never a secret. */
    public RequestInfo requestInfo() {
        return new RequestInfo(requestId, keyId(), model, operation == Operation.CHAT
                ? dev.assistant.api.metrics.Operation.CHAT : dev.assistant.api.metrics.Operation.GENERATE);
    }

    /** Records this call's timings and outcome; a no-op timer unless a metrics step started a real one. */
    public RequestTimer timer() {
        return timer;
    }

    public void timer(RequestTimer timer) {
        this.timer = timer;
    }

    @Override
    public String toString() {
        return "Call[" + requestId + " " + operation + " model=" + model + " key=" + keyId() + "]";
    }
}
