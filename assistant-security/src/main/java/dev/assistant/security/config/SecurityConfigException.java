package dev.assistant.security.config;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.nio.file.Path;

/**
 * A security configuration file (or key records file) was rejected. {@link #path()} is the JSON path of the wrong
 * value, e.g. {@code keys[2].hash} or {@code rateLimits.default.burst} ({@code $} for the document itself); the
 * reason code is {@value #REASON}.
 *
 * <p>Messages name the file, the path and the rule that was broken, never the rejected value: a misplaced secret
 * (a key pasted where its hash belongs, a password in a URI) must not reach a log through a validation error.
 */
public class SecurityConfigException extends AssistantException {
    private static final long serialVersionUID = 1L;
    public static final String REASON = "invalid_security_config";

    private final String file;
    private final String path;
    private final String problem;

    public SecurityConfigException(Path file, String path, String problem) {
        this(file, path, problem, null);
    }

    /** @param cause only causes whose messages cannot contain configuration values */
    public SecurityConfigException(Path file, String path, String problem, Throwable cause) {
        super(ErrorCode.INVALID_REQUEST, "security config " + (file == null ? "(inline)" : file) + ": " + path + ": "
                + problem, REASON, cause, -1);
        this.file = file == null ? null : file.toString();
        this.path = path;
        this.problem = problem;
    }

    /** The JSON path of the rejected value. */
    public String path() {
        return path;
    }

    /** What is wrong, without the value. */
    public String problem() {
        return problem;
    }

    /** The file that was rejected, or {@code null} for inline JSON. */
    public String file() {
        return file;
    }
}
