package dev.assistant.metrics.route;

/**
 * A channel could not deliver an event. The message is safe to log: it names the channel's provider answer
 * (status, provider error code) or the kind of I/O failure, never a credential, recipient list or URL query.
 */
public final class ChannelException extends Exception {
    private final boolean transientFailure;

    /**
     * @param message          safe to log (see the class documentation)
     * @param transientFailure whether the same delivery may succeed later (timeouts, 5xx, throttling)
     */
    public ChannelException(String message, boolean transientFailure) {
        super(message, null, false, false);
        this.transientFailure = transientFailure;
    }

    /** Whether a later attempt may succeed (the router reports it; fallback happens either way). */
    public boolean transientFailure() {
        return transientFailure;
    }
}
