package dev.assistant.bench.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
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
 * <p>Two clients ({@code --client}): {@code jdk} (the default) is {@link HttpClient}, reading the body as an input
 * stream and parsing every event as JSON, as an application would; {@code plain} is {@link HttpURLConnection}, reading
 * the body on the client's own thread and parsing only the usage event. On a 2-core machine the clients share the
 * cores with the server, and the JDK client's selector thread, hand-offs and per-event parsing take CPU time that
 * grows with the tokens per second, so it slows 8 streams more than one; the plain client shows what the server
 * does with less of that in the way.
 *
 * <p>Prints one JSON line per level and round: {@code {"label":..,"streams":N,"round":r,"tokens":..,"seconds":..,
 * "tok_s":..}}.
 *
 * <p>Run: {@code java -cp 'benchmarks/target/benchmarks.jar:benchmarks/target/lib/*'
 * dev.assistant.bench.serving.HttpStreamsBenchmark --url http://127.0.0.1:PORT --label after [--streams "1 2 4 8"]
 * [--tokens 64] [--requests 2] [--rounds 3] [--warm-up-rounds 0] [--temperature T] [--client jdk|plain]} (without
 * {@code --temperature} the request carries none: the server's default, OpenAI's 1.0). {@code --warm-up-rounds N}
 * first runs N whole rounds of every level and discards them: a freshly started server still compiles its hot paths
 * during the first rounds, and the level measured first (one stream) then pays for more of that than the others.
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
        int warmUpRounds = 0;
        Double temperature = null;
        boolean plain = false;
        for (int i = 0; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--url" -> url = v;
                case "--label" -> label = v;
                case "--streams" -> levels = Arrays.stream(v.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
                case "--tokens" -> tokens = Integer.parseInt(v);
                case "--requests" -> requests = Integer.parseInt(v);
                case "--rounds" -> rounds = Integer.parseInt(v);
                case "--warm-up-rounds" -> warmUpRounds = Integer.parseInt(v);
                case "--temperature" -> temperature = Double.parseDouble(v);
                case "--client" -> plain = switch (v) {
                    case "jdk" -> false;
                    case "plain" -> true;
                    default -> throw new IllegalArgumentException("--client is jdk or plain, not " + v);
                };
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
            Client client = plain ? HttpStreamsBenchmark::streamPlain : (u, b) -> stream(http, u, b);
            run(client, clients, url, model, most, 1, tokens, temperature, -1);
            for (int round = 1; round <= warmUpRounds; round++) {
                for (int n : levels) {
                    run(client, clients, url, model, n, requests, tokens, temperature, -1 - round);
                }
            }
            for (int round = 1; round <= rounds; round++) {
                for (int n : levels) {
                    Result r = run(client, clients, url, model, n, requests, tokens, temperature, round);
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

    /** Sends one streamed completion and reads it to the end; the completion tokens its usage event reports. */
    @FunctionalInterface
    private interface Client {
        long stream(String url, String body) throws Exception;
    }

    private static Result run(Client client, ExecutorService clients, String url, String model, int streams, int requests,
                              int tokens, Double temperature, int round) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Long>> done = new ArrayList<>();
        for (int c = 0; c < streams; c++) {
            int id = c;
            done.add(clients.submit(() -> {
                start.await();
                long received = 0;
                for (int q = 0; q < requests; q++) {
                    received += client.stream(url, body(model, tokens, temperature, 1000L * round + 10L * id + q));
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

    /** {@link Client} on {@link HttpClient}: every event parsed. */
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

    /** {@link Client} on {@link HttpURLConnection}: the body read on this thread, only the usage event parsed. */
    private static long streamPlain(String url, String body) throws Exception {
        HttpURLConnection connection = (HttpURLConnection) URI.create(url + "/v1/completions").toURL().openConnection();
        try {
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setConnectTimeout(10_000);
            connection.setReadTimeout(300_000);
            connection.setRequestProperty("Content-Type", "application/json");
            try (OutputStream out = connection.getOutputStream()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
            int status = connection.getResponseCode();
            if (status != 200) {
                throw new IllegalStateException("HTTP " + status);
            }
            long completion = -1;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("data: {") && line.contains("\"completion_tokens\"")) {
                        completion = JSON.readTree(line.substring(6)).path("usage").path("completion_tokens").asLong(-1);
                    }
                }
            }
            if (completion < 0) {
                throw new IllegalStateException("the stream ended without a usage chunk");
            }
            return completion;
        } finally {
            connection.disconnect();
        }
    }
}
