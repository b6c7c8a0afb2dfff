package dev.assistant.metrics.channel;

import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.notify.LoggingNotifier;
import dev.assistant.metrics.route.AlertChannel;

import java.util.Objects;

/** Writes the event to the log (see {@link LoggingNotifier}); never fails, so it is a good last fallback. */
public final class LogChannel implements AlertChannel {
    private final String name;
    private final LoggingNotifier log;

    public LogChannel(String name) {
        this(name, new LoggingNotifier());
    }

    public LogChannel(String name, LoggingNotifier log) {
        this.name = Objects.requireNonNull(name, "name");
        this.log = Objects.requireNonNull(log, "log");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void deliver(AlertEvent event) {
        log.send(event);
    }

    @Override
    public String toString() {
        return "LogChannel[" + name + "]";
    }
}
