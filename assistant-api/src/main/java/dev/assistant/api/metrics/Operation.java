package dev.assistant.api.metrics;

/**
 * The kind of assistant call being measured, with its OpenTelemetry {@code gen_ai.operation.name} value.
 */
public enum Operation {
    /** A chat completion over a list of messages. */
    CHAT("chat"),
    /** A plain text completion of a prompt. */
    GENERATE("text_completion");

    private final String otelName;

    Operation(String otelName) {
        this.otelName = otelName;
    }

    /** The well-known value of the {@code gen_ai.operation.name} attribute. */
    public String otelName() {
        return otelName;
    }
}
