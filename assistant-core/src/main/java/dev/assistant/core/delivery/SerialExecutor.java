package dev.assistant.core.delivery;

import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks one at a time, in the order given, on a shared executor: one per request, so a request's events stay
 * in order while different requests' events run in parallel, and a task that blocks holds up only its own queue
 * (and one thread of the shared executor). A drain runs at most {@value #BATCH} tasks before it gives the thread
 * back, so a busy request cannot starve the others. If the shared executor refuses a drain (it was shut down), the
 * drain runs on the submitting thread rather than dropping the events.
 *
 * <p>The queue is unbounded here: its owner bounds what it submits (one event per generated token at most).
 */
public final class SerialExecutor implements Executor {
    private static final int BATCH = 32;

    private final Executor shared;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    public SerialExecutor(Executor shared) {
        this.shared = Objects.requireNonNull(shared, "shared");
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(Objects.requireNonNull(task, "task"));
        if (scheduled.compareAndSet(false, true)) {
            schedule();
        }
    }

    private void schedule() {
        try {
            shared.execute(this::drain);
        } catch (RejectedExecutionException e) {
            drain();
        }
    }

    private void drain() {
        for (int i = 0; i < BATCH; i++) {
            Runnable task = tasks.poll();
            if (task == null) {
                break;
            }
            task.run(); // tasks catch their own failures: a throw here would only lose this drain's thread
        }
        if (!tasks.isEmpty()) {
            schedule(); // still ours (scheduled stays true): continue on a fresh turn of the shared executor
            return;
        }
        scheduled.set(false);
        // A task added between the last poll and the reset found scheduled == true and did not schedule itself.
        if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) {
            schedule();
        }
    }
}
