package dev.assistant.server;

import org.slf4j.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Logs client-side faults (bodies abandoned mid-way, connections reset) briefly and at most once per interval:
 * they are the client's business, and a client repeating one must not be able to flood the log. One line names the
 * kind of the latest fault and how many happened since the previous line; never a stack trace, never request data.
 */
final class ClientFaultLog {
    static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Logger log;
    private final LongSupplier nanoClock;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong nextLogAt;

    ClientFaultLog(Logger log, LongSupplier nanoClock) {
        this.log = log;
        this.nanoClock = nanoClock;
        this.nextLogAt = new AtomicLong(nanoClock.getAsLong());
    }

    void record(String what, Throwable cause) {
        long n = count.incrementAndGet();
        long now = nanoClock.getAsLong();
        long due = nextLogAt.get();
        if (now - due >= 0 && nextLogAt.compareAndSet(due, now + INTERVAL_NANOS)) {
            count.addAndGet(-n);
            log.info("{} ({} since the last such line; latest: {}); this line repeats at most once a minute",
                    what, n, cause == null ? "-" : cause.getClass().getSimpleName());
        }
    }
}
