package dev.assistant.core.tools;

/**
 * A piece of a tool call as it is generated, in OpenAI's streaming shape: the first piece of each call carries its
 * {@code index}, {@code id} and {@code name} with empty {@code arguments}; the following ones carry the same index
 * and a fragment of the arguments text (id and name null). Concatenating the fragments gives the call's arguments.
 *
 * @param index     the call's position in the answer (0, 1, ...)
 * @param id        the call's id on its first piece, else null
 * @param name      the tool's name on its first piece, else null
 * @param arguments an arguments fragment; empty on the first piece
 */
public record ToolCallDelta(int index, String id, String name, String arguments) {

    /** Whether this is the first piece of its call (it names the call). */
    public boolean isStart() {
        return id != null;
    }
}
