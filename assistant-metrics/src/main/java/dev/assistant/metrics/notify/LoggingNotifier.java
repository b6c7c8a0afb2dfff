package dev.assistant.metrics.notify;

import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.Notifier;
import dev.assistant.metrics.alert.Severity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * Writes alert events to SLF4J: firing CRITICAL alerts at ERROR, other firing alerts at WARN, resolutions at INFO.
 * Logging is synchronous; put an asynchronous appender in front if the log may block.
 */
public final class LoggingNotifier implements Notifier {
    /** The default logger name. */
    public static final String DEFAULT_LOGGER = "dev.assistant.alerts";

    private final Logger log;

    public LoggingNotifier() {
        this(LoggerFactory.getLogger(DEFAULT_LOGGER));
    }

    public LoggingNotifier(Logger log) {
        this.log = Objects.requireNonNull(log, "log");
    }

    @Override
    public void send(AlertEvent event) {
        String line = event.headline() + (event.repeat() ? " (still firing since " + event.since() + ")" : "")
                + " - " + event.summary();
        if (!event.firing()) {
            log.info(line);
        } else if (event.severity() == Severity.CRITICAL) {
            log.error(line);
        } else {
            log.warn(line);
        }
    }
}
