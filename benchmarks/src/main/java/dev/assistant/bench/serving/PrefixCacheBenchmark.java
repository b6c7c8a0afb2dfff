package dev.assistant.bench.serving;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.core.Assistant;
import dev.assistant.core.AssistantBuilder;
import dev.assistant.core.demo.DemoModels;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.server.OpenAiServer;
import dev.assistant.server.ServerConfig;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * Time to first token over HTTP for a request that shares a long prefix with an earlier one, with the prefix cache
 * on and off. The server runs in-process on loopback with the SmolLM-135M-shaped demo model; each round sends a
 * "cold" request with a prefix never seen before, then a "warm" request with the same prefix and a different tail
 * (the shape of a shared system prompt). TTFT is from sending the streamed request to reading its first token
 * chunk, as the client sees it.
 *
 * <p>Run: {@code java -Xmx8g --add-modules jdk.incubator.vector -cp 'benchmarks/target/benchmarks.jar:benchmarks/target/lib/*'
 * dev.assistant.bench.serving.PrefixCacheBenchmark [--prefix 1000] [--tail 16] [--rounds 5] [--dtype int8]
 * [--threads 2]}.
 */
public final class PrefixCacheBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PrefixCacheBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int prefix = 1000;
        int tail = 16;
        int rounds = 5;
        String dtype = "int8";
        int threads = Math.min(2, Runtime.getRuntime().availableProcessors());
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--prefix" -> prefix = Integer.parseInt(v);
                case "--tail" -> tail = Integer.parseInt(v);
                case "--rounds" -> rounds = Integer.parseInt(v);
                case "--dtype" -> dtype = v;
                case "--threads" -> threads = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path dir = DemoModels.ensure(DemoModels.defaultCacheDir(), ModelShape.SMOLLM_135M, DemoModels.DEFAULT_SEED);
        System.out.printf(Locale.ROOT, "smollm-135m-shape, %s, %d threads: %d-token shared prefix + %d-token tail, "
                + "4 new tokens, %d rounds (median TTFT in ms)%n", dtype, threads, prefix, tail, rounds);
        for (boolean cache : new boolean[]{false, true}) {
            AssistantBuilder builder = Assistant.builder().modelPath(dir).modelName("demo").device("cpu")
                    .dtype(dtype).threads(threads).workers(2);
            if (!cache) {
                builder.prefixCacheBytes(0);
            }
            try (Assistant assistant = builder.build();
                 OpenAiServer server = OpenAiServer.builder().config(ServerConfig.builder().host("127.0.0.1").port(0)
                         .build()).model(assistant).build().start()) {
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
                // warm-up (discarded): JIT and native buffers at this prompt length
                ttft(http, server.baseUrl(), ids(prefix, 999, tail, 1));
                ttft(http, server.baseUrl(), ids(prefix, 999, tail, 2));
                double[] cold = new double[rounds];
                double[] warm = new double[rounds];
                int warmCached = 0;
                for (int r = 0; r < rounds; r++) {
                    cold[r] = ttft(http, server.baseUrl(), ids(prefix, r, tail, 1)).ttftMillis();
                    Timing again = ttft(http, server.baseUrl(), ids(prefix, r, tail, 2));
                    warm[r] = again.ttftMillis();
                    warmCached = again.cachedTokens();
                }
                double c = median(cold);
                double w = median(warm);
                System.out.printf(Locale.ROOT, "prefix cache %-3s | first request %8.1f ms | same prefix again %8.1f ms "
                        + "| ratio %5.2fx | cached tokens reported: %d%n", cache ? "on" : "off", c, w, c / w, warmCached);
            }
        }
    }

    /** What the client saw of one request: time to first token and the server's cached-token count. */
    private record Timing(double ttftMillis, int cachedTokens) {
    }

    /** A prompt: {@code prefix} ids chosen by {@code prefixSeed}, then {@code tail} ids chosen by {@code tailSeed}. */
    private static int[] ids(int prefix, int prefixSeed, int tail, int tailSeed) {
        int[] out = new int[prefix + tail];
        for (int i = 0; i < prefix; i++) {
            out[i] = 300 + (int) ((i * 7919L + (prefixSeed + 1) * 104729L) % 20000);
        }
        for (int i = 0; i < tail; i++) {
            out[prefix + i] = 300 + (int) ((i * 31L + tailSeed * 7717L) % 20000);
        }
        return out;
    }

    /** Milliseconds from sending a streamed completion to reading its first token chunk; reads the rest. */
    private static Timing ttft(HttpClient http, String baseUrl, int[] prompt) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", "demo").put("max_tokens", 4).put("temperature", 0.0).put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        body.set("prompt", JSON.valueToTree(prompt));
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        long start = System.nanoTime();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": "
                    + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
        }
        long first = -1;
        int cached = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                var chunk = JSON.readTree(line.substring(6));
                if (first < 0 && chunk.path("choices").size() > 0) {
                    first = System.nanoTime();
                }
                if (chunk.hasNonNull("usage")) {
                    cached = chunk.get("usage").path("prompt_tokens_details").path("cached_tokens").asInt(-1);
                }
            }
        }
        if (first < 0) {
            throw new IllegalStateException("no token chunk in the stream");
        }
        return new Timing((first - start) / 1e6, cached);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
