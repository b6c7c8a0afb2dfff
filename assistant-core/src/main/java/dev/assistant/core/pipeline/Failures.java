package dev.assistant.core.pipeline;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns what a failed future carries back into the exception callers are promised. */
public final class Failures {
    private Failures() {
    }

    /** The failure inside the wrappers {@link java.util.concurrent.CompletableFuture} adds. */
    public static Throwable unwrap(Throwable t) {
        Throwable e = t;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** {@code t} as an {@link AssistantException}: itself, {@code CANCELLED}, or {@code INTERNAL} naming the request. */
    public static AssistantException asAssistantException(Throwable t, String requestId) {
        Throwable e = unwrap(t);
        if (e instanceof AssistantException ae) {
            return ae;
        }
        if (e instanceof CancellationException) {
            return new AssistantException(ErrorCode.CANCELLED, "request " + requestId + " was cancelled", e);
        }
        return new AssistantException(ErrorCode.INTERNAL, "request " + requestId + " failed: " + e, e);
    }
}
