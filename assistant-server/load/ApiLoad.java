import dev.assistant.core.Assistant;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.generation.SamplingParams;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The same load as load/chat.lua, through the Java API instead of HTTP: N threads each issue the short greedy chat
 * completion (8 tokens) back to back for D seconds; prints requests/s and latency percentiles. Run with the CLI's
 * libraries: {@code java -Dai.djl.offline=true -cp 'assistant-cli/target/lib/*' assistant-server/load/ApiLoad.java
 * MODEL_DIR THREADS SECONDS}.
 */
public final class ApiLoad {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        try (Assistant assistant = Assistant.builder().modelPath(model).modelName("stories").device("cpu")
                .queueCapacity(256).build()) {
            ChatRequest request = ChatRequest.builder().user("Once upon a time").maxNewTokens(8)
                    .sampling(SamplingParams.GREEDY).build();
            for (int i = 0; i < 5; i++) {
                assistant.chat(request); // warm-up
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            List<Future<List<Long>>> results = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    List<Long> latencies = new ArrayList<>();
                    while (System.nanoTime() < end) {
                        long s = System.nanoTime();
                        assistant.chat(request);
                        latencies.add(System.nanoTime() - s);
                    }
                    return latencies;
                }));
            }
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> f : results) {
                all.addAll(f.get());
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("java-api threads=%d requests=%d rps=%.2f p50=%.1fms p90=%.1fms p99=%.1fms max=%.1fms%n",
                    threads, sorted.length, sorted.length / elapsed, pct(sorted, 50), pct(sorted, 90), pct(sorted, 99),
                    sorted[sorted.length - 1] / 1e6);
        }
    }

    private static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
