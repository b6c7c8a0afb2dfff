package dev.assistant.bench.serving;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.demo.DemoModels;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.metrics.RequestInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Serving under load through the real {@link Assistant} (continuous batching) on the SmolLM-135M-shaped demo model:
 *
 * <ol>
 *   <li>Scaling: aggregate decode tokens/s with 1, 2, 4, 8 and 16 concurrent streams (all started together, each
 *       generating {@code --tokens} tokens after a {@code --prompt}-token prompt). Decode time is from the moment
 *       every stream has its first token to the moment the last one ends, so prefill is not counted.</li>
 *   <li>Time to first token at a fixed arrival rate (open loop, {@code --rate} requests/s for {@code --seconds}):
 *       P50/P99 as the caller sees it (queueing included, from the metrics' first-token event).</li>
 * </ol>
 *
 * <p>Run: {@code java -cp 'benchmarks/target/benchmarks.jar:benchmarks/target/lib/*'
 * dev.assistant.bench.serving.ServingBenchmark [--dtypes f32,int8] [--streams 1,2,4,8,16] [--tokens 32]
 * [--prompt 16] [--rate 10] [--seconds 20] [--ttft-tokens 16] [--threads 2]}. The model is written once to
 * {@code $ASSISTANT_CACHE_DIR} (default ~/.cache/assistant-sdk) by the project's own generator.
 */
public final class ServingBenchmark {

    private ServingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Path dir = DemoModels.ensure(DemoModels.defaultCacheDir(), ModelShape.byName(o.shape), DemoModels.DEFAULT_SEED);
        for (String dtype : o.dtypes) {
            TtftRecorder ttft = new TtftRecorder();
            int maxStreams = Arrays.stream(o.streams).max().orElse(1);
            Assistant assistant;
            try {
                assistant = Assistant.builder().modelPath(dir).device("cpu").dtype(dtype).threads(o.threads)
                        .workers(Math.max(maxStreams, 16)).queueCapacity(1024).metrics(ttft).build();
            } catch (AssistantException e) {
                System.out.printf("%n[%s] not available: %s%n", dtype, e.getMessage());
                continue;
            }
            try (assistant) {
                System.out.printf("%n== %s, %s, %d native threads: weights %.0f MiB ==%n", o.shape, dtype, o.threads,
                        assistant.modelInfo().weightBytes() / 1048576.0);
                scaling(assistant, ttft, o);
                ttftAtRate(assistant, ttft, o);
            }
        }
    }

    private static int[] prompt(int length, int salt) {
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = 300 + (int) ((i * 7919L + salt * 104729L) % 20000);
        }
        return ids;
    }

    private static void scaling(Assistant assistant, TtftRecorder ttft, Options o) throws Exception {
        // Warm-up, discarded: the JIT compiles the batched paths and the native libraries size their buffers only
        // under the batch sizes they will see. One short request was not enough (the first 8-stream round then ran
        // at half the speed of the next).
        int maxStreams = Arrays.stream(o.streams).max().orElse(1);
        decodeRate(assistant, ttft, maxStreams, o);
        decodeRate(assistant, ttft, 1, o);
        System.out.printf("streams | aggregate decode tok/s | per stream tok/s | speed-up vs 1%n");
        double base = 0;
        for (int streams : o.streams) {
            double best = 0;
            for (int rep = 0; rep < o.repeats; rep++) {
                best = Math.max(best, decodeRate(assistant, ttft, streams, o));
            }
            if (base == 0) {
                base = best / streams; // the first row's rate per stream (one stream when the list starts at 1)
            }
            System.out.printf(Locale.ROOT, "%7d | %22.1f | %16.1f | %.2fx%n", streams, best, best / streams, best / base);
        }
    }

    /**
     * Aggregate decode tokens/s of {@code streams} requests started together: tokens after each one's first, over
     * the time from the moment all have their first token to the moment the last ends.
     */
    private static double decodeRate(Assistant assistant, TtftRecorder ttft, int streams, Options o) throws Exception {
        List<CompletableFuture<Completion>> futures = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            futures.add(assistant.generateAsync(GenerateRequest.builder().inputIds(prompt(o.prompt, s + 1))
                    .maxNewTokens(o.tokens).ignoreStops(true).build()));
        }
        long decodeTokens = 0;
        long allStarted = 0;
        for (CompletableFuture<Completion> f : futures) {
            Completion c = f.get(10, TimeUnit.MINUTES);
            decodeTokens += c.usage().completionTokens() - 1;
            allStarted = Math.max(allStarted, ttft.firstTokenAt(c.requestId()));
        }
        long end = System.nanoTime();
        return decodeTokens * 1e9 / Math.max(1, end - allStarted);
    }

    private static void ttftAtRate(Assistant assistant, TtftRecorder ttft, Options o) throws Exception {
        ttft.reset();
        int total = (int) Math.round(o.rate * o.seconds);
        long periodNanos = (long) (1e9 / o.rate);
        ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-arrivals");
            t.setDaemon(true);
            return t;
        });
        ConcurrentLinkedQueue<CompletableFuture<Completion>> futures = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            int salt = 1000 + i;
            clock.schedule(() -> futures.add(assistant.generateAsync(GenerateRequest.builder()
                    .inputIds(prompt(o.prompt, salt)).maxNewTokens(o.ttftTokens).ignoreStops(true).build())),
                    i * periodNanos, TimeUnit.NANOSECONDS);
        }
        clock.shutdown();
        clock.awaitTermination(10, TimeUnit.MINUTES);
        int failed = 0;
        for (CompletableFuture<Completion> f : futures) {
            try {
                f.get(10, TimeUnit.MINUTES);
            } catch (ExecutionException e) {
                failed++;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] sorted = ttft.values();
        System.out.printf(Locale.ROOT, "TTFT at %.1f req/s (%d requests of %d prompt + %d new tokens, %.1f s): "
                        + "P50 %.1f ms, P99 %.1f ms, max %.1f ms; failed %d%n", o.rate, total, o.prompt, o.ttftTokens,
                seconds, pct(sorted, 0.50) / 1e6, pct(sorted, 0.99) / 1e6,
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6, failed);
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
    }

    /** Caller-seen time to first token of every request (from the metrics SPI: queueing included). */
    private static final class TtftRecorder implements MetricsListener {
        private final ConcurrentHashMap<String, Long> byRequest = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, Long> firstTokenAt = new ConcurrentHashMap<>();

        @Override
        public void firstToken(RequestInfo request, long ttftNanos) {
            byRequest.put(request.requestId(), ttftNanos);
            firstTokenAt.put(request.requestId(), System.nanoTime());
        }

        /** When (System.nanoTime) request {@code id} produced its first token. */
        long firstTokenAt(String id) {
            return firstTokenAt.getOrDefault(id, System.nanoTime());
        }

        @Override
        public void requestFailed(RequestInfo request, long latencyNanos, ErrorCode code, String reason) {
            System.out.printf("request failed: %s %s%n", code, reason);
        }

        void reset() {
            byRequest.clear();
            firstTokenAt.clear();
        }

        long[] values() {
            return byRequest.values().stream().mapToLong(Long::longValue).sorted().toArray();
        }
    }

    private record Options(String shape, List<String> dtypes, int[] streams, int tokens, int prompt, double rate,
                           double seconds, int ttftTokens, int threads, int repeats) {
        static Options parse(String[] args) {
            String shape = "smollm-135m-shape";
            List<String> dtypes = List.of("f32", "int8");
            int[] streams = {1, 2, 4, 8, 16};
            int tokens = 32;
            int prompt = 16;
            double rate = 10;
            double seconds = 20;
            int ttftTokens = 16;
            int threads = Math.min(4, Runtime.getRuntime().availableProcessors());
            int repeats = 2;
            for (int i = 0; i + 1 < args.length; i += 2) {
                String v = args[i + 1];
                switch (args[i]) {
                    case "--shape" -> shape = v;
                    case "--dtypes" -> dtypes = List.of(v.split(","));
                    case "--streams" -> streams = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                    case "--tokens" -> tokens = Integer.parseInt(v);
                    case "--prompt" -> prompt = Integer.parseInt(v);
                    case "--rate" -> rate = Double.parseDouble(v);
                    case "--seconds" -> seconds = Double.parseDouble(v);
                    case "--ttft-tokens" -> ttftTokens = Integer.parseInt(v);
                    case "--threads" -> threads = Integer.parseInt(v);
                    case "--repeats" -> repeats = Integer.parseInt(v);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            return new Options(shape, dtypes, streams, tokens, prompt, rate, seconds, ttftTokens, threads, repeats);
        }
    }
}
