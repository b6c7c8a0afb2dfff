package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.metrics.memory.InMemoryMetrics;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The Flow.Publisher API: no more pieces than requested, cancel stops generation, errors and bad demand signalled. */
class AssistantPublisherTest {

    /** Records what a subscriber receives; requests {@code initial} in onSubscribe. */
    private static final class Recorder implements Flow.Subscriber<String> {
        final List<String> pieces = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch ended = new CountDownLatch(1);
        final AtomicReference<Throwable> error = new AtomicReference<>();
        volatile boolean completed;
        volatile Flow.Subscription subscription;
        private final long initial;
        private final boolean cancelAtFirst;

        Recorder(long initial, boolean cancelAtFirst) {
            this.initial = initial;
            this.cancelAtFirst = cancelAtFirst;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(initial);
        }

        @Override
        public void onNext(String item) {
            pieces.add(item);
            if (cancelAtFirst) {
                subscription.cancel();
            }
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
            ended.countDown();
        }

        @Override
        public void onComplete() {
            completed = true;
            ended.countDown();
        }
    }

    private static void eventually(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not reached within 60 s").isLessThan(end);
            Thread.sleep(2);
        }
    }

    /** Waits until the single-thread executor has run everything queued, including what those tasks queued. */
    private static void quiesce(ThreadPoolExecutor executor) throws Exception {
        do {
            executor.submit(() -> {
            }).get(60, TimeUnit.SECONDS);
        } while (!executor.getQueue().isEmpty());
    }

    @Test
    void aSubscriberGetsNoMorePiecesThanItRequestedAndTheRestWhenItAsks() throws Exception {
        ThreadPoolExecutor callbacks = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .callbackExecutor(callbacks).build()) {
            GenerateRequest request = GenerateRequest.builder().prompt("The cat").maxNewTokens(30).ignoreStops(true).build();
            String expected = assistant.generate(request).text();
            Recorder r = new Recorder(3, false);
            assistant.generatePublisher(request).subscribe(r);
            eventually(() -> r.pieces.size() == 3);
            // the whole answer has been generated and every event handled: still only what was asked for
            eventually(() -> assistant.activeRequests() == 0 && assistant.queueDepth() == 0);
            quiesce(callbacks);
            assertThat(r.pieces).hasSize(3);
            assertThat(r.completed).isFalse();

            r.subscription.request(Long.MAX_VALUE);
            assertThat(r.ended.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(r.completed).isTrue();
            assertThat(String.join("", r.pieces)).isEqualTo(expected);
        } finally {
            callbacks.shutdownNow();
        }
    }

    @Test
    void cancellingTheSubscriptionStopsGeneration() throws Exception {
        AtomicReference<HoldingModel> held = new AtomicReference<>();
        InMemoryMetrics metrics = InMemoryMetrics.builder().build();
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .metrics(metrics).modelWrapper(m -> {
                    HoldingModel h = new HoldingModel(m);
                    held.set(h);
                    return h;
                }).build()) {
            held.get().holdAfter(3); // three tokens, then the engine waits: the call cannot finish by itself
            Recorder r = new Recorder(Long.MAX_VALUE, true);
            assistant.generatePublisher(GenerateRequest.builder().inputIds(1).maxNewTokens(400).ignoreStops(true)
                    .build()).subscribe(r);
            // the subscriber cancels at its first piece, before or while the engine waits: either way the call ends
            eventually(() -> metrics.snapshot().total().failures(ErrorCode.CANCELLED) == 1);
            held.get().release();
            eventually(() -> assistant.activeRequests() == 0);
            assertThat(metrics.snapshot().total().succeeded()).isZero();
            assertThat(r.pieces).hasSize(1);
            assertThat(r.ended.getCount()).as("no signal after cancel").isEqualTo(1);
        }
    }

    @Test
    void nonPositiveDemandAndFailedCallsAreSignalledAsErrors() throws Exception {
        Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu").build();
        try {
            Recorder bad = new Recorder(0, false);
            assistant.generatePublisher(GenerateRequest.of("Hi")).subscribe(bad);
            assertThat(bad.ended.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(bad.error.get()).isInstanceOf(IllegalArgumentException.class);

            Recorder invalid = new Recorder(5, false);
            assistant.generatePublisher(GenerateRequest.builder().inputIds(1, 99_999).build()).subscribe(invalid);
            assertThat(invalid.ended.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(((AssistantException) invalid.error.get()).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        } finally {
            assistant.close();
        }
        Recorder closed = new Recorder(1, false);
        assistant.generatePublisher(GenerateRequest.of("Hi")).subscribe(closed);
        assertThat(closed.ended.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(((AssistantException) closed.error.get()).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
    }
}
