package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.core.tools.ToolCallDelta;

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

    /**
     * A piece of a tool call (requests with tools only): first the call's id and name, then fragments of its
     * arguments. Text inside tool calls never reaches {@link #onText}.
     */
    default void onToolCall(ToolCallDelta delta) {
    }

    /**
     * More text of choice {@code index} when the request asked for several ({@code n > 1}). By default the first
     * choice's text goes to {@link #onText} and the others' is not streamed (it is in the completion).
     */
    default void onChoiceText(int index, String delta) {
        if (index == 0) {
            onText(delta);
        }
    }

    /** The answer is complete. */
    default void onComplete(Completion completion) {
    }

    /** The request failed. */
    default void onError(AssistantException error) {
    }
}
