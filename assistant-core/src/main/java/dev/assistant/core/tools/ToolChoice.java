package dev.assistant.core.tools;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Objects;

/**
 * Whether and which tool the model must call: {@link #auto()} (the model decides), {@link #none()} (answer in
 * text; the tools are still shown to the model), {@link #required()} (at least one call of any tool) or
 * {@link #function(String)} (a call of that tool). Under {@code required} and a named function the call is produced
 * under a JSON schema of the call, so its arguments always validate against the tool's parameters. Immutable.
 */
public final class ToolChoice {
    /** The kinds of choice, as OpenAI names them. */
    public enum Mode { AUTO, NONE, REQUIRED, FUNCTION }

    private static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
    private static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);
    private static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);

    private final Mode mode;
    private final String functionName;

    private ToolChoice(Mode mode, String functionName) {
        this.mode = mode;
        this.functionName = functionName;
    }

    public static ToolChoice auto() {
        return AUTO;
    }

    public static ToolChoice none() {
        return NONE;
    }

    public static ToolChoice required() {
        return REQUIRED;
    }

    /** The model must call the named tool (which must be one of the request's tools). */
    public static ToolChoice function(String name) {
        if (name == null || name.isBlank()) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "a forced tool choice needs a function name");
        }
        return new ToolChoice(Mode.FUNCTION, name);
    }

    public Mode mode() {
        return mode;
    }

    /** The forced function's name, or null unless the mode is {@link Mode#FUNCTION}. */
    public String functionName() {
        return functionName;
    }

    /** Whether the answer must be a tool call ({@code required} or a named function). */
    public boolean forcesCall() {
        return mode == Mode.REQUIRED || mode == Mode.FUNCTION;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ToolChoice other && mode == other.mode && Objects.equals(functionName, other.functionName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, functionName);
    }

    @Override
    public String toString() {
        return mode == Mode.FUNCTION ? "function(" + functionName + ")" : mode.name().toLowerCase(java.util.Locale.ROOT);
    }
}
