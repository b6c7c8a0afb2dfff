package dev.assistant.metrics.calllog;

import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** An SLF4J logger that keeps every line with its level and the MDC at the time of the call. */
final class CapturingLogger extends LegacyAbstractLogger {
    record Line(Level level, String message, Map<String, String> mdc) {
    }

    final List<Line> lines = new CopyOnWriteArrayList<>();

    CapturingLogger() {
        this.name = "capturing";
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                                               Throwable throwable) {
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        lines.add(new Line(level, MessageFormatter.basicArrayFormat(pattern, args), mdc == null ? Map.of() : mdc));
    }

    @Override
    public boolean isTraceEnabled() {
        return true;
    }

    @Override
    public boolean isDebugEnabled() {
        return true;
    }

    @Override
    public boolean isInfoEnabled() {
        return true;
    }

    @Override
    public boolean isWarnEnabled() {
        return true;
    }

    @Override
    public boolean isErrorEnabled() {
        return true;
    }
}
