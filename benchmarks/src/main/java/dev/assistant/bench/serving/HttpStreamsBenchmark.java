package dev.assistant.bench.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Aggregate tokens per second of N concurrent streaming clients against a running OpenAI-compatible server (as
 * {@code benchmarks/serving-scale.sh} starts it). Each client is a real HTTP client sending
 * {@code POST /v1/completions} with {@code stream: true} and reading the server-sent events to the end; the clients
 * start together and each sends {@code --requests} requests one after the other. A level's figure is the completion
 * tokens all clients received (the usage chunk of each stream) divided by the wall time from the first send to the
 * last stream's end. Levels alternate within each round, so every level sees the same minutes of a noisy machine.
 *
 * <p>Prints one JSON line per level and round: {@code {"label":..,"streams":N,"round":r,"tokens":..,"seconds":..,
 * "tok_s":..}}.
 *
 * <p>Run: {@code java -cp 'benchmarks/target/benchmarks.jar:benchmarks/target/lib/*'
 * dev.assistant.bench.serving.HttpStreamsBenchmark --url http://127.0.0.1:PORT --label after [--streams "1 2 4 8"]
 * [--tokens 64] [--requests 2] [--rounds 3] [--temperature T]} (without {@code --temperature} the request carries
 * none: the server's default, OpenAI's 1.0).
 */
public final class HttpStreamsBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpStreamsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String url = null;
        String label = "server";
        int[] levels = {1, 2, 4, 8};
        int tokens = 64;
        int requests = 2;
        int rounds = 3;
        Double temperature = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--url" -> url = v;
                case "--label" -> label = v;
                case "--streams" -> levels = Arrays.stream(v.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
                case "--tokens" -> tokens = Integer.parseInt(v);
                case "--requests" -> requests = Integer.parseInt(v);
                case "--rounds" -> rounds = Integer.parseInt(v);
                case "--temperature" -> temperature = Double.parseDouble(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (url == null) {
            throw new IllegalArgumentException("--url is required");
        }
        int most = Arrays.stream(levels).max().orElse(1);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .version(HttpClient.Version.HTTP_1_1).build();
        String model = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("data").path(0).path("id").asText();
        ExecutorService clients = Executors.newFixedThreadPool(most);
        try {
            // warm-up (discarded): JIT on both sides, native scratch at the largest batch
            run(http, clients, url, model, most, 1, tokens, temperature, -1);
            for (int round = 1; round <= rounds; round++) {
                for (int n : levels) {
                    Result r = run(http, clients, url, model, n, requests, tokens, temperature, round);
                    System.out.printf(Locale.ROOT, "{\"label\":\"%s\",\"streams\":%d,\"round\":%d,\"tokens\":%d,"
                            + "\"seconds\":%.3f,\"tok_s\":%.1f}%n", label, n, round, r.tokens, r.seconds,
                            r.tokens / r.seconds);
                }
            }
        } finally {
            clients.shutdownNow();
        }
    }

    private record Result(long tokens, double seconds) {
    }

    private static Result run(HttpClient http, ExecutorService clients, String url, String model, int streams, int requests,
                              int tokens, Double temperature, int round) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Long>> done = new ArrayList<>();
        for (int c = 0; c < streams; c++) {
            int client = c;
            done.add(clients.submit(() -> {
                start.await();
                long received = 0;
                for (int q = 0; q < requests; q++) {
                    received += stream(http, url, body(model, tokens, temperature, 1000L * round + 10L * client + q));
                }
                return received;
            }));
        }
        long begin = System.nanoTime();
        start.countDown();
        long total = 0;
        for (Future<Long> f : done) {
            total += f.get();
        }
        return new Result(total, (System.nanoTime() - begin) / 1e9);
    }

    private static String body(String model, int tokens, Double temperature, long seed) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("prompt", "Once upon a time, in a small village by the sea, there lived");
        body.put("max_tokens", tokens);
        body.put("stream", true);
        body.put("seed", seed);
        if (temperature != null) {
            body.put("temperature", temperature);
        }
        body.putObject("stream_options").put("include_usage", true);
        return JSON.writeValueAsString(body);
    }

    /** Sends one streamed completion and reads it to the end; the completion tokens its usage chunk reports. */
    private static long stream(HttpClient http, String url, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        long completion = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            if (response.statusCode() != 200) {
                StringBuilder text = new StringBuilder();
                for (String line; (line = in.readLine()) != null; ) {
                    text.append(line);
                }
                throw new IllegalStateException("HTTP " + response.statusCode() + ": " + text);
            }
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode usage = JSON.readTree(line.substring(6)).get("usage");
                if (usage != null && !usage.isNull()) {
                    completion = usage.get("completion_tokens").asLong();
                }
            }
        }
        if (completion < 0) {
            throw new IllegalStateException("the stream ended without a usage chunk");
        }
        return completion;
    }
}
