package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.metrics.RequestInfo;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Load and soak (profile {@code soak} only): a closed loop of callers at 5x the assistant's concurrency, with
 * timeouts, cancellations and invalid requests mixed in, until 10,000 requests have been answered. Checks that every
 * request ends exactly once with an answer or a typed error, that none hangs, that the P99 latency of answered
 * requests stays bounded, and that resident memory after 10,000 answers is within 10% of what it was after 1,000
 * (no native leak of KV caches or activations).
 *
 * <p>Sizes can be changed with {@code -Dsoak.answers=N} and {@code -Dsoak.minutes=M} (the time bound).
 */
class ServingSoakTest {
    private static final int CONCURRENCY = 16;
    private static final int QUEUE = 16;
    private static final int CALLERS = 5 * CONCURRENCY;

    /** Counts the terminal metrics events of every request: each must see exactly one. */
    private static final class TerminalEvents implements MetricsListener {
        final Map<String, AtomicInteger> byRequest = new ConcurrentHashMap<>();
        final AtomicInteger started = new AtomicInteger();

        @Override
        public void requestStarted(RequestInfo request) {
            started.incrementAndGet();
            byRequest.put(request.requestId(), new AtomicInteger());
        }

        @Override
        public void requestSucceeded(RequestInfo request, long latencyNanos, int promptTokens, int completionTokens,
                                     long timePerOutputTokenNanos) {
            byRequest.get(request.requestId()).incrementAndGet();
        }

        @Override
        public void requestFailed(RequestInfo request, long latencyNanos, ErrorCode code, String reason) {
            byRequest.get(request.requestId()).incrementAndGet();
        }

        long ended() {
            return byRequest.values().stream().filter(n -> n.get() > 0).count();
        }
    }

    @Test
    void closedLoopAtFiveTimesCapacityEndsEveryRequestOnceWithBoundedLatencyAndNoLeak() throws Exception {
        int answersWanted = Integer.getInteger("soak.answers", 10_000);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(Integer.getInteger("soak.minutes", 8));
        TerminalEvents events = new TerminalEvents();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger hung = new AtomicInteger();
        AtomicInteger untyped = new AtomicInteger();
        AtomicInteger callbacksWrong = new AtomicInteger();
        Map<ErrorCode, AtomicInteger> rejected = new EnumMap<>(ErrorCode.class);
        for (ErrorCode c : ErrorCode.values()) {
            rejected.put(c, new AtomicInteger());
        }
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong rssAt1000 = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<CompletableFuture<Void>> terminalCallbacks = new ConcurrentLinkedQueue<>();

        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .threads(1).workers(CONCURRENCY).queueCapacity(QUEUE).defaultTimeout(Duration.ofSeconds(30)).metrics(events)
                .build()) {
            List<Thread> callers = new ArrayList<>();
            for (int c = 0; c < CALLERS; c++) {
                long seed = c;
                Thread t = new Thread(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    while (!stop.get() && System.nanoTime() < deadline) {
                        int kind = rnd.nextInt(100);
                        GenerateRequest.Builder b = GenerateRequest.builder().inputIds(1, 1 + rnd.nextInt(300))
                                .maxNewTokens(2 + rnd.nextInt(7)).ignoreStops(true);
                        if (kind < 30) {
                            b.sampling(SamplingParams.builder().temperature(0.8).topK(20).seed(rnd.nextLong()).build());
                        } else if (kind < 33) {
                            b.timeout(Duration.ofNanos(1 + rnd.nextInt(2_000_000))); // times out queued or running
                        } else if (kind < 35) {
                            b = GenerateRequest.builder().inputIds(1, 9999).maxNewTokens(4); // outside the vocabulary
                        }
                        boolean cancel = kind >= 35 && kind < 38;
                        CompletableFuture<Void> terminal = new CompletableFuture<>();
                        AtomicInteger calls = new AtomicInteger();
                        long start = System.nanoTime();
                        CompletableFuture<Completion> f = assistant.generateStream(b.build(), new StreamListener() {
                            @Override
                            public void onText(String delta) {
                            }

                            @Override
                            public void onComplete(Completion completion) {
                                end();
                            }

                            @Override
                            public void onError(AssistantException error) {
                                end();
                            }

                            private void end() {
                                if (calls.incrementAndGet() != 1) {
                                    callbacksWrong.incrementAndGet();
                                }
                                terminal.complete(null);
                            }
                        });
                        terminalCallbacks.add(terminal);
                        if (cancel) {
                            f.cancel(true);
                        }
                        try {
                            f.get(60, TimeUnit.SECONDS);
                            latencies.add(System.nanoTime() - start);
                            int n = answered.incrementAndGet();
                            if (n == 1000) {
                                rssAt1000.set(residentBytes());
                            }
                            if (n >= answersWanted) {
                                stop.set(true);
                            }
                        } catch (CancellationException e) {
                            rejected.get(ErrorCode.CANCELLED).incrementAndGet();
                        } catch (ExecutionException e) {
                            if (e.getCause() instanceof AssistantException ae) {
                                rejected.get(ae.code()).incrementAndGet();
                                if (ae.code() == ErrorCode.OVERLOADED) {
                                    // a polite client backs off before retrying
                                    LockSupport.parkNanos(10_000_000 + rnd.nextInt(20_000_000));
                                }
                            } else {
                                untyped.incrementAndGet();
                            }
                        } catch (TimeoutException e) {
                            hung.incrementAndGet();
                        } catch (InterruptedException e) {
                            return;
                        }
                        try {
                            // closed loop: the next request only once this one has really ended (a cancelled one
                            // still leaves the batch at the engine's next step)
                            terminal.get(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            return;
                        } catch (ExecutionException | TimeoutException e) {
                            hung.incrementAndGet();
                        }
                    }
                }, "soak-caller-" + c);
                t.setDaemon(true);
                callers.add(t);
                t.start();
            }
            for (Thread t : callers) {
                t.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1, deadline - System.nanoTime())) + 120_000);
            }
            // every request, including cancelled ones still finishing in the engine, reports its end exactly once
            CompletableFuture.allOf(terminalCallbacks.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            long rssAtEnd = residentBytes();
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            long p50 = sorted[sorted.length / 2];
            long p99 = sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
            System.out.printf("[soak] answered %d, rejected %s, P50 %.1f ms, P99 %.1f ms, RSS after 1000 %.1f MiB, "
                            + "after %d %.1f MiB%n", answered.get(), nonZero(rejected), p50 / 1e6, p99 / 1e6,
                    rssAt1000.get() / 1048576.0, answered.get(), rssAtEnd / 1048576.0);

            assertThat(answered.get()).as("answers within the time bound").isGreaterThanOrEqualTo(answersWanted);
            assertThat(hung.get()).as("requests that never ended").isZero();
            assertThat(untyped.get()).as("failures without an ErrorCode").isZero();
            assertThat(callbacksWrong.get()).as("requests whose listener saw more than one end").isZero();
            assertThat(rejected.get(ErrorCode.OVERLOADED).get()).as("5x capacity must overflow the queue").isPositive();
            assertThat(rejected.get(ErrorCode.INTERNAL).get()).isZero();
            assertThat(events.started.get()).isEqualTo(events.byRequest.size());
            assertThat(events.ended()).as("metrics saw an end for every request").isEqualTo(events.started.get());
            assertThat(events.byRequest.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
            assertThat(p99).as("P99 latency of answered requests").isLessThan(TimeUnit.SECONDS.toNanos(20));
            assertThat((double) rssAtEnd).as("RSS after %d answers vs after 1000", answered.get())
                    .isLessThanOrEqualTo(rssAt1000.get() * 1.10);
        }
    }

    private static String nonZero(Map<ErrorCode, AtomicInteger> counts) {
        StringBuilder sb = new StringBuilder("{");
        counts.forEach((code, n) -> {
            if (n.get() > 0) {
                sb.append(sb.length() > 1 ? ", " : "").append(code).append('=').append(n.get());
            }
        });
        return sb.append('}').toString();
    }

    /** VmRSS of this process, after a full GC so that garbage awaiting collection does not count. */
    private static long residentBytes() {
        System.gc();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS line in /proc/self/status");
    }
}
