package dev.assistant.core;

import dev.assistant.api.AssistantException;

/**
 * Receives an answer as it is produced. Methods run on the assistant's callback executor (never on the engine
 * thread), one at a time and in order for a request: text pieces, then exactly one of {@link #onComplete} and
 * {@link #onError}, last; the request's future completes after that. A listener that blocks delays only its own
 * request's events (and holds one thread of the callback executor); generation goes on, the pieces wait in the
 * request's queue (at most one per generated token). An exception thrown here loses that event and is logged.
 */
public interface StreamListener {

    /** More text of the answer. */
    void onText(String delta);

    /** The answer is complete. */
    default void onComplete(Completion completion) {
    }

    /** The request failed. */
    default void onError(AssistantException error) {
    }
}
