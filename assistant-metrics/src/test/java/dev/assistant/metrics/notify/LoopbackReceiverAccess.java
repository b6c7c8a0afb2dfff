package dev.assistant.metrics.notify;

import java.io.IOException;
import java.net.URI;

/** Lets tests in other packages use {@link LoopbackReceiver}: bodies only, default "ok" answers. */
public final class LoopbackReceiverAccess implements AutoCloseable {
    private final LoopbackReceiver receiver = new LoopbackReceiver();

    public LoopbackReceiverAccess() throws IOException {
    }

    public URI uri(String pathAndQuery) {
        return receiver.uri(pathAndQuery);
    }

    /** The next request body; fails after 10 s without one. */
    public String next() throws InterruptedException {
        return receiver.next().body();
    }

    public boolean isEmpty() {
        return receiver.received.isEmpty();
    }

    @Override
    public void close() {
        receiver.close();
    }
}
