package dev.assistant.core.generation;

/** Why generation ended. */
public enum FinishReason {
    /** An end-of-sequence token was produced. */
    EOS,
    /** A stop string appeared; the text is cut just before it. */
    STOP_STRING,
    /** The requested number of new tokens was produced. */
    LENGTH,
    /** The model's context is full. */
    CONTEXT_LENGTH,
    /** The caller cancelled. */
    CANCELLED,
    /** The answer called tools (a chat request with tools; the calls are in the completion). */
    TOOL_CALLS
}
