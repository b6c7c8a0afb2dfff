package dev.assistant.core.registry;

import dev.assistant.core.Assistant;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A request's hold on one loaded version of a model: the version is not freed while a lease on it is open, even
 * when a reload has switched new requests to another one. Close it when the request has finished (including
 * streaming); closing twice is harmless.
 */
public final class ModelLease implements AutoCloseable {
    private final LoadedVersion loaded;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    ModelLease(LoadedVersion loaded, Runnable onClose) {
        this.loaded = loaded;
        this.onClose = onClose;
    }

    /** The assistant of the leased version. */
    public Assistant assistant() {
        return loaded.assistant();
    }

    /** The leased version. */
    public ModelVersion version() {
        return loaded.version();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onClose.run();
            loaded.release();
        }
    }

    @Override
    public String toString() {
        return "ModelLease[" + loaded.assistant().modelInfo().name() + " " + loaded.version() + "]";
    }
}
