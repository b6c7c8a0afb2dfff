package dev.assistant.core;

import dev.assistant.api.AssistantException;

/**
 * Receives an answer as it is produced. Methods run on the assistant's worker thread: keep them short. Exactly one
 * of {@link #onComplete} and {@link #onError} is called, last.
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
