package dev.assistant.metrics.route;

import dev.assistant.metrics.alert.AlertEvent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** A channel that fails or succeeds as scripted and records what it was asked to deliver. */
public final class ScriptedChannel implements AlertChannel {
    private final String name;
    private final Deque<String> failures = new ArrayDeque<>();
    public final List<AlertEvent> delivered = new ArrayList<>();
    public int attempts;

    public ScriptedChannel(String name) {
        this.name = name;
    }

    /** The next attempt fails with {@code reason}. */
    public ScriptedChannel failNext(String reason) {
        failures.add(reason);
        return this;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void deliver(AlertEvent event) throws ChannelException {
        attempts++;
        String failure = failures.poll();
        if (failure != null) {
            throw new ChannelException(failure, true);
        }
        delivered.add(event);
    }
}
