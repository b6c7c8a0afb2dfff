package dev.assistant.core.pipeline;

import dev.assistant.core.Completion;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One step on the path of a request (authenticate, authorize, rate-limit, schedule, record, generate), composed as
 * a chain: each step does its job and passes the call on, or ends it by throwing an
 * {@link dev.assistant.api.AssistantException}. The chain is asynchronous: it returns as soon as the call is
 * queued for the model, and the future completes when the call ends, so no thread waits for the model. A step that
 * needs the outcome (metrics, token charging) attaches to the future; such actions run on the assistant's callback
 * executor, never on the engine thread.
 */
@FunctionalInterface
public interface CallStep {

    /**
     * Handles {@code call}: usually some checks, then {@code next.proceed(call)}, possibly with an action attached
     * to its outcome. May throw instead of returning a failed future; the chain turns that into a failed future.
     */
    CompletableFuture<Completion> handle(Call call, Chain next);

    /** The rest of the chain after a step. */
    @FunctionalInterface
    interface Chain {
        /** Never throws: a failure is a failed future. */
        CompletableFuture<Completion> proceed(Call call);
    }

    /** Links {@code steps} in order in front of {@code last}; whatever a step throws becomes a failed future. */
    static Chain link(List<CallStep> steps, Chain last) {
        Chain chain = guarded(last);
        for (int i = steps.size() - 1; i >= 0; i--) {
            CallStep step = steps.get(i);
            Chain next = chain;
            chain = guarded(call -> step.handle(call, next));
        }
        return chain;
    }

    private static Chain guarded(Chain chain) {
        return call -> {
            try {
                CompletableFuture<Completion> f = chain.proceed(call);
                return f != null ? f : CompletableFuture.failedFuture(new NullPointerException("a step returned null"));
            } catch (RuntimeException | Error e) {
                return CompletableFuture.failedFuture(e);
            }
        };
    }
}
