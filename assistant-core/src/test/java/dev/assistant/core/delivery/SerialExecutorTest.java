package dev.assistant.core.delivery;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-request queues on a shared pool: in order, one at a time, and a blocked queue holds up no other. */
class SerialExecutorTest {

    @Test
    void tasksOfOneQueueRunInOrderOneAtATimeWhileOthersProceed() throws Exception {
        ExecutorService shared = Executors.newFixedThreadPool(3);
        try {
            int queues = 8;
            int perQueue = 2_000;
            List<List<Integer>> seen = new ArrayList<>();
            AtomicInteger overlaps = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(queues);
            List<SerialExecutor> serials = new ArrayList<>();
            for (int q = 0; q < queues; q++) {
                seen.add(new ArrayList<>());
                serials.add(new SerialExecutor(shared));
            }
            AtomicInteger[] running = new AtomicInteger[queues];
            for (int q = 0; q < queues; q++) {
                running[q] = new AtomicInteger();
            }
            // submitted from two threads per queue in turn, as the engine and a timer might
            for (int i = 0; i < perQueue; i++) {
                for (int q = 0; q < queues; q++) {
                    int queue = q;
                    int n = i;
                    serials.get(q).execute(() -> {
                        if (running[queue].incrementAndGet() > 1) {
                            overlaps.incrementAndGet();
                        }
                        seen.get(queue).add(n); // unsynchronized on purpose: one task of a queue at a time
                        running[queue].decrementAndGet();
                        if (n == perQueue - 1) {
                            done.countDown();
                        }
                    });
                }
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(overlaps.get()).isZero();
            for (List<Integer> s : seen) {
                assertThat(s).hasSize(perQueue).isSorted();
            }
        } finally {
            shared.shutdownNow();
        }
    }

    @Test
    void aBlockedQueueDoesNotHoldUpAnother() throws Exception {
        ExecutorService shared = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch release = new CountDownLatch(1);
            SerialExecutor blocked = new SerialExecutor(shared);
            SerialExecutor free = new SerialExecutor(shared);
            CountDownLatch ranAfterBlock = new CountDownLatch(1);
            blocked.execute(() -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            blocked.execute(ranAfterBlock::countDown);
            CountDownLatch freeDone = new CountDownLatch(100);
            for (int i = 0; i < 100; i++) {
                free.execute(freeDone::countDown);
            }
            assertThat(freeDone.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(ranAfterBlock.getCount()).isEqualTo(1);
            release.countDown();
            assertThat(ranAfterBlock.await(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            shared.shutdownNow();
        }
    }

    @Test
    void aRefusingExecutorRunsTheTasksOnTheSubmittingThreadRatherThanLosingThem() {
        ExecutorService shut = Executors.newSingleThreadExecutor();
        shut.shutdown();
        List<String> ran = new ArrayList<>();
        SerialExecutor serial = new SerialExecutor(shut);
        serial.execute(() -> ran.add("a"));
        serial.execute(() -> ran.add("b"));
        assertThat(ran).containsExactly("a", "b");
    }
}
