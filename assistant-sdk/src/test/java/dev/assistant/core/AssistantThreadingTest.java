package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * No thread waits for a call: the engine completes futures, one timer ends calls at their deadline even while the
 * engine is busy, and stream events run on the callback executor, in order per request, so a listener that blocks
 * or throws holds up only its own request. Everything the assistant starts ends with {@code close()}.
 */
class AssistantThreadingTest {

    private static Assistant assistant(String name, AtomicReference<HoldingModel> held, int workers) {
        return Assistant.builder().modelPath(SharedModels.model("stories260K")).modelName(name).device("cpu")
                .workers(workers).queueCapacity(64).modelWrapper(m -> {
                    HoldingModel h = new HoldingModel(m);
                    held.set(h);
                    return h;
                }).build();
    }

    private static GenerateRequest request(int tokens, int salt) {
        return GenerateRequest.builder().inputIds(1, 100 + salt).maxNewTokens(tokens).ignoreStops(true).build();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits (up to a minute) for a condition that the code under test makes true by itself. */
    private static void eventually(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not reached within 60 s").isLessThan(end);
            Thread.sleep(2);
        }
    }

    private static List<Thread> threadsOf(String assistantName) {
        List<Thread> found = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("assistant-") && t.getName().contains(assistantName)) {
                found.add(t);
            }
        }
        return found;
    }

    private static AssistantException failureOf(CompletableFuture<Completion> f) {
        ExecutionException e = catchThrowableOfType(() -> f.get(60, TimeUnit.SECONDS), ExecutionException.class);
        assertThat(e).as("the call should have failed").isNotNull();
        return (AssistantException) e.getCause();
    }

    @Test
    void fortyEightCallsInFlightAddAtMostEightThreadsAndCloseLeavesNone() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        AtomicReference<HoldingModel> held = new AtomicReference<>();
        Assistant assistant = assistant("threads48", held, 8);
        CountDownLatch listenersMayGo = new CountDownLatch(1);
        List<CompletableFuture<Completion>> calls = new ArrayList<>();
        try {
            int before = mx.getThreadCount();
            mx.resetPeakThreadCount();
            // Phase 1: the engine is busy (held inside its first step) while 48 calls are in flight.
            held.get().hold();
            for (int i = 0; i < 48; i++) {
                calls.add(assistant.generateStream(request(6, i), delta -> await(listenersMayGo)));
            }
            assertThat(held.get().awaitHeldStep()).isTrue();
            assertThat(assistant.activeRequests() + assistant.queueDepth()).isEqualTo(48);
            // Phase 2: the engine finishes every call while the listeners block: the events wait in their queues.
            held.get().release();
            eventually(() -> assistant.activeRequests() == 0 && assistant.queueDepth() == 0);
            assertThat(calls).noneMatch(CompletableFuture::isDone);
            int peak = mx.getPeakThreadCount();
            assertThat(peak - before).as("threads added with 48 calls in flight").isLessThanOrEqualTo(8);

            listenersMayGo.countDown();
            for (CompletableFuture<Completion> c : calls) {
                assertThat(c.get(60, TimeUnit.SECONDS).outputIds()).hasSize(6);
            }
            assertThat(threadsOf("threads48")).isNotEmpty();
        } finally {
            listenersMayGo.countDown();
            assistant.close();
        }
        assertThat(threadsOf("threads48")).as("threads left after close").isEmpty();
    }

    @Test
    void aListenerBlockedOnALatchHoldsUpOnlyItsOwnRequestWhoseEventsArriveInOrder() throws Exception {
        try (Assistant assistant = assistant("blocked", new AtomicReference<>(), 4)) {
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<String> slowPieces = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Completion> slow = assistant.generateStream(
                    GenerateRequest.builder().prompt("Once upon a time").maxNewTokens(40).ignoreStops(true).build(),
                    delta -> {
                        slowPieces.add(delta);
                        blocked.countDown();
                        await(release);
                    });
            assertThat(blocked.await(60, TimeUnit.SECONDS)).isTrue();

            GenerateRequest other = GenerateRequest.builder().prompt("The cat").maxNewTokens(30).ignoreStops(true).build();
            StringBuilder otherText = new StringBuilder();
            List<String> listenerThreads = Collections.synchronizedList(new ArrayList<>());
            Completion done = assistant.generateStream(other, delta -> {
                otherText.append(delta);
                listenerThreads.add(Thread.currentThread().getName());
            }).get(60, TimeUnit.SECONDS);
            assertThat(otherText.toString()).isEqualTo(done.text()).isNotEmpty();
            assertThat(listenerThreads).allMatch(n -> n.startsWith("assistant-callback-blocked"));
            assertThat(slow).isNotDone();
            assertThat(slowPieces).hasSize(1);

            release.countDown();
            Completion slowDone = slow.get(60, TimeUnit.SECONDS);
            assertThat(String.join("", slowPieces)).as("every piece, in order, before the future completed")
                    .isEqualTo(slowDone.text());
        }
    }

    @Test
    void aListenerThatThrowsBreaksNeitherItsGenerationNorAnyOther() throws Exception {
        try (Assistant assistant = assistant("throwing", new AtomicReference<>(), 4)) {
            GenerateRequest other = request(24, 7);
            int[] alone = assistant.generate(other).outputIds();
            AtomicInteger thrown = new AtomicInteger();
            CompletableFuture<Completion> broken = assistant.generateStream(request(24, 3), delta -> {
                thrown.incrementAndGet();
                throw new IllegalStateException("a listener bug");
            });
            assertThat(assistant.generate(other).outputIds()).containsExactly(alone);
            assertThat(broken.get(60, TimeUnit.SECONDS).outputIds()).hasSize(24);
            assertThat(thrown.get()).isGreaterThan(1);
        }
    }

    @Test
    void theDeadlineFailsTheCallWhileTheEngineIsBusyAndItsPlaceIsFreed() throws Exception {
        AtomicReference<HoldingModel> held = new AtomicReference<>();
        try (Assistant assistant = assistant("deadline", held, 4)) {
            held.get().hold();
            AtomicReference<AssistantException> heard = new AtomicReference<>();
            CountDownLatch ended = new CountDownLatch(1);
            CompletableFuture<Completion> call = assistant.generateStream(GenerateRequest.builder().inputIds(1)
                    .maxNewTokens(50).timeout(java.time.Duration.ofMillis(200)).build(), new StreamListener() {
                @Override
                public void onText(String delta) {
                }

                @Override
                public void onError(AssistantException error) {
                    heard.set(error);
                    ended.countDown();
                }
            });
            assertThat(held.get().awaitHeldStep()).isTrue();
            // the engine stays inside its step until released below: the deadline is met by the timer alone
            assertThat(failureOf(call).code()).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(ended.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(heard.get().code()).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(assistant.activeRequests()).as("still in the held step").isEqualTo(1);
            held.get().release();
            eventually(() -> assistant.activeRequests() == 0);
            assertThat(assistant.generate(request(5, 1)).outputIds()).hasSize(5);
        }
    }

    @Test
    void cancellingEndsTheCallAtOnceAndTheEngineDropsItAtItsNextStep() throws Exception {
        AtomicReference<HoldingModel> held = new AtomicReference<>();
        try (Assistant assistant = assistant("cancel", held, 4)) {
            held.get().holdAfter(3);
            AtomicReference<AssistantException> heard = new AtomicReference<>();
            CountDownLatch ended = new CountDownLatch(1);
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            CompletableFuture<Completion> call = assistant.generateStream(request(400, 2), new StreamListener() {
                @Override
                public void onText(String delta) {
                    events.add("text");
                }

                @Override
                public void onComplete(Completion completion) {
                    events.add("complete");
                }

                @Override
                public void onError(AssistantException error) {
                    events.add("error");
                    heard.set(error);
                    ended.countDown();
                }
            });
            assertThat(held.get().awaitHeldStep()).isTrue();
            assertThat(call).as("%s", call).isNotDone();
            assertThat(call.cancel(true)).isTrue();
            assertThat(call).isCancelled();
            assertThat(ended.await(60, TimeUnit.SECONDS)).as("the listener hears of it while the engine is held").isTrue();
            assertThat(heard.get().code()).isEqualTo(ErrorCode.CANCELLED);
            assertThat(events).last().isEqualTo("error");
            assertThat(events).filteredOn("text"::equals).hasSizeLessThanOrEqualTo(3);
            held.get().release();
            eventually(() -> assistant.activeRequests() == 0);
            assertThat(events).last().isEqualTo("error");
        }
    }

    @Test
    void aHostCallbackExecutorRunsTheListenersAndIsLeftRunningAtClose() throws Exception {
        ExecutorService host = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "host-callback");
            t.setDaemon(true);
            return t;
        });
        try {
            List<String> threads = Collections.synchronizedList(new ArrayList<>());
            try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                    .callbackExecutor(host).build()) {
                Completion c = assistant.generateStream(request(12, 4), delta -> threads.add(Thread.currentThread()
                        .getName())).get(60, TimeUnit.SECONDS);
                assertThat(c.outputIds()).hasSize(12);
            }
            assertThat(threads).isNotEmpty().allMatch("host-callback"::equals);
            assertThat(host.isShutdown()).isFalse();
        } finally {
            host.shutdownNow();
        }
    }
}
