package dev.assistant.bench.serving;

import dev.assistant.core.Assistant;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.StreamListener;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What a slow stream listener costs its neighbours, and how many threads calls in flight take, through the real
 * {@link Assistant}:
 *
 * <ol>
 *   <li>Slow neighbour: the wall time of request B (prompt to completed future, its text streamed to a listener)
 *       in paired rounds: alone; next to a request A of twice its length whose listener returns at once; next to the
 *       same A whose listener sleeps 100 ms per text piece. A shares B's batch in both neighbour cases (same compute),
 *       so the last two differ only by A's listener. Medians over the rounds, and the ratios.</li>
 *   <li>Threads: the JVM's peak live thread count while 48 async requests are in flight (their listeners blocked
 *       on a latch until every request has been generated), minus the count before.</li>
 * </ol>
 *
 * <p>The three cases run in an order that rotates from round to round. Run: {@code java -cp 'benchmarks/target/benchmarks.jar:benchmarks/target/lib/*'
 * dev.assistant.bench.serving.CallbackIsolationBenchmark ../shared/models/stories260K [rounds=15] [tokensB=200]}.
 */
public final class CallbackIsolationBenchmark {
    private CallbackIsolationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args.length > 0 ? args[0] : "../shared/models/stories260K");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        int tokensB = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        try (Assistant assistant = Assistant.builder().modelPath(model).device("cpu").workers(8).queueCapacity(64)
                .build()) {
            slowNeighbour(assistant, rounds, tokensB);
        }
        try (Assistant assistant = Assistant.builder().modelPath(model).device("cpu").workers(8).queueCapacity(64)
                .build()) {
            threadsInFlight(assistant);
        }
    }

    private static void slowNeighbour(Assistant assistant, int rounds, int tokensB) throws Exception {
        GenerateRequest b = GenerateRequest.builder().prompt("Once upon a time").maxNewTokens(tokensB).ignoreStops(true)
                .build();
        GenerateRequest a = GenerateRequest.builder().prompt("The little dog").maxNewTokens(Math.min(2 * tokensB, 480))
                .ignoreStops(true).build();
        for (int i = 0; i < 3; i++) { // warm-up
            runB(assistant, b);
        }
        long[] alone = new long[rounds];
        long[] fast = new long[rounds];
        long[] slow = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 3; k++) { // the order rotates from round to round, so drift favours no case
                switch ((r + k) % 3) {
                    case 0 -> alone[r] = runB(assistant, b);
                    case 1 -> fast[r] = withNeighbour(assistant, a, b, delta -> {
                    });
                    default -> slow[r] = withNeighbour(assistant, a, b, delta -> sleep(100));
                }
            }
        }
        double mAlone = median(alone) / 1e6;
        double mFast = median(fast) / 1e6;
        double mSlow = median(slow) / 1e6;
        System.out.printf(Locale.ROOT, "request B (%d tokens), median of %d paired rounds:%n", tokensB, rounds);
        System.out.printf(Locale.ROOT, "  alone                                   %8.1f ms%n", mAlone);
        System.out.printf(Locale.ROOT, "  next to A, A's listener returns at once %8.1f ms%n", mFast);
        System.out.printf(Locale.ROOT, "  next to A, A's listener sleeps 100 ms    %8.1f ms%n", mSlow);
        System.out.printf(Locale.ROOT, "  slow-listener neighbour / fast-listener neighbour = %.3f%n", mSlow / mFast);
        System.out.printf(Locale.ROOT, "  slow-listener neighbour / alone                   = %.3f%n", mSlow / mAlone);
    }

    private static long runB(Assistant assistant, GenerateRequest b) throws Exception {
        StringBuilder text = new StringBuilder();
        long start = System.nanoTime();
        Completion c = assistant.generateStream(b, text::append).get(120, TimeUnit.SECONDS);
        long took = System.nanoTime() - start;
        if (!text.toString().equals(c.text())) {
            throw new IllegalStateException("streamed text differs from the answer");
        }
        return took;
    }

    private static long withNeighbour(Assistant assistant, GenerateRequest a, GenerateRequest b,
                                      StreamListener aListener) throws Exception {
        CountDownLatch aStarted = new CountDownLatch(1);
        CompletableFuture<Completion> neighbour = assistant.generateStream(a, delta -> {
            aStarted.countDown();
            aListener.onText(delta);
        });
        aStarted.await(60, TimeUnit.SECONDS); // A is in the batch and its listener busy before B starts
        long took = runB(assistant, b);
        neighbour.cancel(true);
        while (assistant.activeRequests() > 0) {
            Thread.onSpinWait();
        }
        return took;
    }

    private static void threadsInFlight(Assistant assistant) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int before = mx.getThreadCount();
        mx.resetPeakThreadCount();
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Completion>> calls = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            calls.add(assistant.generateStream(GenerateRequest.builder().inputIds(1, 100 + i).maxNewTokens(32)
                    .ignoreStops(true).build(), delta -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        while (assistant.activeRequests() > 0 || assistant.queueDepth() > 0) {
            Thread.sleep(1);
        }
        long inFlight = calls.stream().filter(f -> !f.isDone()).count();
        int peak = mx.getPeakThreadCount();
        go.countDown();
        for (CompletableFuture<Completion> f : calls) {
            f.get(120, TimeUnit.SECONDS);
        }
        System.out.printf(Locale.ROOT, "threads: %d before, peak %d with %d async requests in flight: +%d%n", before,
                peak, inFlight, peak - before);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
