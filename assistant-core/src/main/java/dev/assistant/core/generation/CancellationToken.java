package dev.assistant.core.generation;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The one way a request is stopped early, shared by everything that handles it: its caller cancels it, or its
 * deadline passes (noticed by the assistant's timer or by the engine, whichever comes first). The first stop wins
 * and its reason ({@code CANCELLED} or {@code TIMEOUT}) is final. Thread-safe.
 */
public final class CancellationToken {
    private final long deadlineNanos;
    private final List<Consumer<AssistantException>> onStop = new ArrayList<>(2); // guarded by this
    private volatile AssistantException reason;

    /** @param deadlineNanos when the request times out, on the engine's nano clock ({@link Long#MAX_VALUE}: never) */
    public CancellationToken(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** A token without a deadline. */
    public static CancellationToken noDeadline() {
        return new CancellationToken(Long.MAX_VALUE);
    }

    /** When the request times out, on the engine's nano clock. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** Whether {@code nowNanos} is at or past the deadline. */
    public boolean isPastDeadline(long nowNanos) {
        return deadlineNanos != Long.MAX_VALUE && nowNanos - deadlineNanos >= 0;
    }

    /** Stops the request as cancelled by its caller; false if it was already stopped. */
    public boolean cancel() {
        return stop(new AssistantException(ErrorCode.CANCELLED, "the request was cancelled"));
    }

    /** Stops the request as timed out; false if it was already stopped. */
    public boolean expire() {
        return stop(new AssistantException(ErrorCode.TIMEOUT, "the request did not finish before its deadline"));
    }

    /**
     * Stops the request for {@code why}, then runs the registered stop actions on this thread; false (and nothing
     * runs) if it was already stopped.
     */
    public boolean stop(AssistantException why) {
        Objects.requireNonNull(why, "why");
        List<Consumer<AssistantException>> actions;
        synchronized (this) {
            if (reason != null) {
                return false;
            }
            reason = why;
            actions = List.copyOf(onStop);
            onStop.clear();
        }
        for (Consumer<AssistantException> action : actions) {
            action.accept(why);
        }
        return true;
    }

    public boolean isStopped() {
        return reason != null;
    }

    /** Why the request was stopped, or null while it runs. */
    public AssistantException reason() {
        return reason;
    }

    /**
     * Runs {@code action} with the reason when the request is stopped (at once, on this thread, if it already is).
     * Actions must be quick: they run on whichever thread stops the request.
     */
    public void whenStopped(Consumer<AssistantException> action) {
        Objects.requireNonNull(action, "action");
        AssistantException already;
        synchronized (this) {
            already = reason;
            if (already == null) {
                onStop.add(action);
                return;
            }
        }
        action.accept(already);
    }

    @Override
    public String toString() {
        AssistantException r = reason;
        return "CancellationToken[" + (r == null ? "running" : r.code()) + "]";
    }
}
