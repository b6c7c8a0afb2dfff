package dev.assistant.core;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.testing.ForwardingModel;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real model, except that once held ({@link #hold()}, or {@link #holdAfter} some passes) every forward pass waits
 * inside the engine's step until {@link #release()}: a deterministic "engine busy" for tests of timeouts and
 * cancellation.
 */
final class HoldingModel extends ForwardingModel {
    private final Semaphore entered = new Semaphore(0);
    private final AtomicInteger passesLeft = new AtomicInteger(Integer.MAX_VALUE);
    private volatile CountDownLatch gate;

    HoldingModel(CausalLanguageModel delegate) {
        super(delegate);
    }

    /** From now on, forward passes wait at the gate. */
    void hold() {
        holdAfter(0);
    }

    /** The next {@code passes} forward passes run; the ones after wait at the gate. */
    void holdAfter(int passes) {
        gate = new CountDownLatch(1);
        passesLeft.set(passes);
    }

    /** Opens the gate: the waiting pass and all later ones run. */
    void release() {
        CountDownLatch g = gate;
        gate = null;
        passesLeft.set(Integer.MAX_VALUE);
        if (g != null) {
            g.countDown();
        }
    }

    /** Waits until a forward pass is waiting at the gate. */
    boolean awaitHeldStep() throws InterruptedException {
        return entered.tryAcquire(60, TimeUnit.SECONDS);
    }

    @Override
    public float[][] forwardBatch(List<? extends Sequence> sequences, List<int[]> inputs) {
        CountDownLatch g = gate;
        if (g != null && passesLeft.getAndDecrement() <= 0) {
            entered.release();
            try {
                g.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return super.forwardBatch(sequences, inputs);
    }

    @Override
    public void close() {
        release();
        super.close();
    }
}
