package dev.assistant.core.delivery;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes and keeps track of the threads an assistant owns (besides the engine's): daemon threads, so an assistant
 * that is never closed cannot keep the JVM alive, named {@code <prefix>-<n>} so that a thread dump says whose they
 * are, and joinable by {@link #awaitExit} so that {@code close()} returns only once they are gone.
 */
public final class CallbackThreads implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();

    public CallbackThreads(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public Thread newThread(Runnable r) {
        live.removeIf(t -> !t.isAlive() && t.getState() == Thread.State.TERMINATED); // keeps the set small
        Thread t = new Thread(r, prefix + "-" + count.incrementAndGet());
        t.setDaemon(true);
        live.add(t);
        return t;
    }

    /** Threads made by this factory that have not finished yet. */
    public int liveCount() {
        return (int) live.stream().filter(Thread::isAlive).count();
    }

    /** Waits up to {@code timeoutMillis} in all for every thread of this factory to finish; true if they did. */
    public boolean awaitExit(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (Thread t : Set.copyOf(live)) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0 || t == Thread.currentThread()) {
                continue;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return live.stream().noneMatch(t -> t.isAlive() && t != Thread.currentThread());
    }
}
