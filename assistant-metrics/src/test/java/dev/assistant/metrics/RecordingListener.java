package dev.assistant.metrics;

import dev.assistant.api.metrics.RequestInfo;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.ErrorCode;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A listener that writes each event down as a line of text, for asserting event order and values. */
public final class RecordingListener implements MetricsListener {
    public final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void requestStarted(RequestInfo r) {
        events.add("started " + r.requestId() + " key=" + r.keyId());
    }

    @Override
    public void queueWait(RequestInfo r, long waitNanos) {
        events.add("queueWait " + waitNanos);
    }

    @Override
    public void queueDepth(int depth) {
        events.add("queueDepth " + depth);
    }

    @Override
    public void firstToken(RequestInfo r, long ttftNanos) {
        events.add("firstToken " + ttftNanos);
    }

    @Override
    public void requestSucceeded(RequestInfo r, long latencyNanos, int prompt, int completion, long tpotNanos) {
        events.add("succeeded key=" + r.keyId() + " latency=" + latencyNanos + " prompt=" + prompt
                + " completion=" + completion + " tpot=" + tpotNanos);
    }

    @Override
    public void requestFailed(RequestInfo r, long latencyNanos, ErrorCode code, String reason) {
        events.add("failed key=" + r.keyId() + " latency=" + latencyNanos + " code=" + code + " reason=" + reason);
    }

    @Override
    public void modelLoaded(String model, long loadNanos, long weightBytes) {
        events.add("loaded " + model + " " + loadNanos + " " + weightBytes);
    }
}
