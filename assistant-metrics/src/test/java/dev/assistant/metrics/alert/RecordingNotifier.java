package dev.assistant.metrics.alert;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every event it is sent. */
final class RecordingNotifier implements Notifier {
    final List<AlertEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void send(AlertEvent event) {
        events.add(event);
    }

    List<String> headlines() {
        return events.stream().map(e -> (e.repeat() ? "repeat " : "") + e.headline()).toList();
    }
}
