package dev.assistant.core.registry;

import dev.assistant.core.Assistant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded version and the requests holding it. Retiring it (a reload switched to another version, or an idle
 * unload) stops new leases; the assistant is closed when the last lease is released, so in-flight requests finish
 * on the version they started on.
 */
final class LoadedVersion {
    private static final Logger LOG = LoggerFactory.getLogger(LoadedVersion.class);
    /** The lease count once the assistant is closed: no lease can be taken any more. */
    private static final int CLOSED = -1;

    private final Assistant assistant;
    private final ModelVersion version;
    private final AtomicInteger leases = new AtomicInteger();
    private volatile boolean retired;

    LoadedVersion(Assistant assistant, ModelVersion version) {
        this.assistant = assistant;
        this.version = version;
    }

    Assistant assistant() {
        return assistant;
    }

    ModelVersion version() {
        return version;
    }

    int leases() {
        return Math.max(0, leases.get());
    }

    boolean isClosed() {
        return leases.get() == CLOSED;
    }

    /**
     * A lease, or {@code null} when this version no longer takes requests (retired or closed).
     *
     * @param onClose run when the lease is closed (the registry notes the model's last use)
     */
    ModelLease tryLease(Runnable onClose) {
        while (true) {
            int n = leases.get();
            if (n == CLOSED || retired) {
                return null;
            }
            if (leases.compareAndSet(n, n + 1)) {
                if (retired) { // retired between the check and the increment: give it back
                    release();
                    return null;
                }
                return new ModelLease(this, onClose);
            }
        }
    }

    void release() {
        if (leases.decrementAndGet() == 0 && retired) {
            closeIfUnused();
        }
    }

    /** No new leases from now on; closes the assistant now or when the last lease is released. */
    void retire() {
        retired = true;
        closeIfUnused();
    }

    private void closeIfUnused() {
        if (leases.compareAndSet(0, CLOSED)) {
            try {
                assistant.close();
                LOG.info("model {} version {} freed", assistant.modelInfo().name(), version);
            } catch (RuntimeException e) {
                LOG.warn("closing model {} version {} failed: {}", assistant.modelInfo().name(), version, e.toString());
            }
        }
    }
}
