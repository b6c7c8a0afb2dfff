package dev.assistant.metrics.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Every java.util.logging record (the tests' SLF4J binding) while open, message and exception text included. */
public final class CapturedLogs extends Handler implements AutoCloseable {
    private final List<String> lines = new ArrayList<>();
    private final Logger root = Logger.getLogger("");

    public CapturedLogs() {
        setLevel(Level.ALL);
        root.addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        StringBuilder line = new StringBuilder(String.valueOf(record.getMessage()));
        if (record.getParameters() != null) {
            for (Object p : record.getParameters()) {
                line.append(" | ").append(p);
            }
        }
        for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
            line.append(" | ").append(t);
        }
        lines.add(line.toString());
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
    }
}
