package dev.assistant.metrics.config;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

/**
 * An alerts configuration was rejected: {@link #path()} is the JSON path of the wrong value ({@code $} for the
 * document), the code {@link ErrorCode#INVALID_REQUEST}, the reason {@value #REASON}. Messages name the source, the
 * path and the rule that was broken; the configuration holds key ids, never secrets, and values Jackson quotes are
 * left out anyway.
 */
public final class AlertsConfigException extends AssistantException {
    private static final long serialVersionUID = 1L;
    public static final String REASON = "invalid_alerts_config";

    private final String path;

    public AlertsConfigException(String source, String path, String problem) {
        super(ErrorCode.INVALID_REQUEST, "alerts config " + source + ": " + path + ": " + problem, REASON, null, -1);
        this.path = path;
    }

    /** The JSON path of the rejected value. */
    public String path() {
        return path;
    }
}
