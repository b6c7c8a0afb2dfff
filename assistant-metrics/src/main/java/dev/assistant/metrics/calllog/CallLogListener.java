package dev.assistant.metrics.calllog;

import dev.assistant.api.ErrorCode;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.metrics.RequestInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.Locale;
import java.util.Objects;

/**
 * Writes one structured log line per finished call through SLF4J, with the same fields in the MDC, so an operator
 * can find why a call got 401, 403 or 429 and a JSON log encoder can index the fields.
 *
 * <p>Fields (MDC keys and {@code key=value} pairs in the message): {@code request_id}, {@code key_id} ({@code -}
 * when unknown), {@code model}, {@code operation}, {@code outcome} ({@code success}/{@code failure}),
 * {@code error_code}, {@code reason}, {@code status} (HTTP-like), {@code latency_ms}, {@code prompt_tokens},
 * {@code completion_tokens}, {@code tpot_ms}. Only the key id is logged, never the key: {@link RequestInfo} carries
 * no secret, and the reason is the exception's machine-readable sub-code, not its message.
 *
 * <p>Levels: successes and client-side failures (status below 500) at INFO, server-side failures at WARN. The MDC
 * entries are set only for the duration of the log call and the caller's previous values are restored.
 */
public final class CallLogListener implements MetricsListener {
    /** The default logger name, so operators can route call lines to their own appender. */
    public static final String DEFAULT_LOGGER = "dev.assistant.calls";

    static final String[] MDC_KEYS = {"request_id", "key_id", "model", "operation", "outcome", "error_code", "reason",
            "status", "latency_ms", "prompt_tokens", "completion_tokens", "tpot_ms"};

    private final Logger log;

    /** Logs to {@link #DEFAULT_LOGGER}. */
    public CallLogListener() {
        this(LoggerFactory.getLogger(DEFAULT_LOGGER));
    }

    /** Logs to {@code log}. */
    public CallLogListener(Logger log) {
        this.log = Objects.requireNonNull(log, "log");
    }

    @Override
    public void requestSucceeded(RequestInfo request, long latencyNanos, int promptTokens, int completionTokens,
                                 long tpotNanos) {
        if (!log.isInfoEnabled()) {
            return;
        }
        String[] values = {request.requestId(), keyId(request), request.model(), request.operation().otelName(),
                "success", "-", "-", "200", millis(latencyNanos), count(promptTokens), count(completionTokens),
                tpotNanos < 0 ? "-" : millis(tpotNanos)};
        write(false, values);
    }

    @Override
    public void requestFailed(RequestInfo request, long latencyNanos, ErrorCode code, String reason) {
        boolean serverSide = code.httpStatus() >= 500;
        if (serverSide ? !log.isWarnEnabled() : !log.isInfoEnabled()) {
            return;
        }
        String[] values = {request.requestId(), keyId(request), request.model(), request.operation().otelName(),
                "failure", code.name(), reason == null ? "-" : reason, Integer.toString(code.httpStatus()),
                millis(latencyNanos), "-", "-", "-"};
        write(serverSide, values);
    }

    private void write(boolean warn, String[] values) {
        String[] previous = new String[MDC_KEYS.length];
        StringBuilder line = new StringBuilder(200).append("call");
        for (int i = 0; i < MDC_KEYS.length; i++) {
            previous[i] = MDC.get(MDC_KEYS[i]);
            values[i] = sanitise(values[i]);
            MDC.put(MDC_KEYS[i], values[i]);
            line.append(' ').append(MDC_KEYS[i]).append('=').append(values[i]);
        }
        try {
            if (warn) {
                log.warn(line.toString());
            } else {
                log.info(line.toString());
            }
        } finally {
            for (int i = 0; i < MDC_KEYS.length; i++) {
                if (previous[i] == null) {
                    MDC.remove(MDC_KEYS[i]);
                } else {
                    MDC.put(MDC_KEYS[i], previous[i]);
                }
            }
        }
    }

    private static String keyId(RequestInfo request) {
        return request.keyId() == null ? "-" : request.keyId();
    }

    private static String count(int n) {
        return n < 0 ? "-" : Integer.toString(n);
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    // Keeps the line one line of space-separated key=value pairs whatever a model name or reason holds.
    private static String sanitise(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c) || c == '=') {
                StringBuilder sb = new StringBuilder(value);
                for (int j = i; j < sb.length(); j++) {
                    char d = sb.charAt(j);
                    if (Character.isISOControl(d) || Character.isWhitespace(d) || d == '=') {
                        sb.setCharAt(j, '_');
                    }
                }
                return sb.toString();
            }
        }
        return value;
    }
}
