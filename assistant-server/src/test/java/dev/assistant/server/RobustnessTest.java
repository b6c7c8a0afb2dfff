package dev.assistant.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile and unlucky clients: malformed JSON, oversized bodies, a client that stops sending, a client that hangs
 * up mid-stream. The server answers or drops each cleanly and keeps serving; probes and metrics work.
 */
class RobustnessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LIMIT = 64 * 1024;
    private static SecuredServer fixture;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        fixture = new SecuredServer(ServerConfig.builder().maxRequestBytes(LIMIT).idleTimeout(Duration.ofMillis(1500)));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    static String chatBody(int maxTokens, boolean stream) {
        return "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                + "\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"stream\":" + stream + "}";
    }

    private static HttpResponse<String> post(String path, HttpRequest.BodyPublisher body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(fixture.baseUrl() + path))
                .header("Authorization", "Bearer " + SecuredServer.ALICE_KEY).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(body).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String absolutePath) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fixture.server.port() + absolutePath))
                .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> r) throws IOException {
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error).as("OpenAI error body: %s", r.body()).isNotNull();
        assertThat(error.has("message") && error.has("type") && error.has("param") && error.has("code")).isTrue();
        return error;
    }

    private static void assertStillServing() throws Exception {
        HttpResponse<String> ok = post("/chat/completions", HttpRequest.BodyPublishers.ofString(chatBody(4, false)));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void malformedJsonIs400() throws Exception {
        HttpResponse<String> r = post("/chat/completions", HttpRequest.BodyPublishers.ofString("{\"model\": \"stories\", "));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("type").asText()).isEqualTo("invalid_request_error");
        HttpResponse<String> notObject = post("/chat/completions", HttpRequest.BodyPublishers.ofString("[1,2]"));
        assertThat(notObject.statusCode()).isEqualTo(400);
        HttpResponse<String> badField = post("/chat/completions", HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"hot\"}"));
        assertThat(badField.statusCode()).isEqualTo(400);
        assertThat(error(badField).get("param").asText()).isEqualTo("temperature");
        HttpResponse<String> tooManyChoices = post("/chat/completions", HttpRequest.BodyPublishers.ofString(
                "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":17}"));
        assertThat(tooManyChoices.statusCode()).isEqualTo(400);
        assertThat(error(tooManyChoices).get("param").asText()).isEqualTo("n");
        assertStillServing();
    }

    @Test
    void oversizedBodiesAre413WhetherDeclaredOrChunked() throws Exception {
        String big = "{\"model\":\"stories\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(LIMIT) + "\"}]}";
        // Several times each: the client must receive the 413 every time, not only when it wins the race against
        // the connection being closed while it is still sending.
        for (int i = 0; i < 8; i++) {
            HttpResponse<String> declared = post("/chat/completions", HttpRequest.BodyPublishers.ofString(big));
            assertThat(declared.statusCode()).isEqualTo(413);
            assertThat(error(declared).get("code").asText()).isEqualTo("request_too_large");
            // An InputStream publisher has no length: the body arrives chunked and is cut off while being read.
            HttpResponse<String> chunked = post("/chat/completions", HttpRequest.BodyPublishers.ofInputStream(
                    () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))));
            assertThat(chunked.statusCode()).isEqualTo(413);
        }
        assertStillServing();
    }

    @Test
    void aClientThatStopsSendingIsDropped() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", fixture.server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + SecuredServer.ALICE_KEY + "\r\n"
                    + "Content-Length: 500\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The idle timeout (1.5 s here) ends the wait: the server answers an error or just closes.
            InputStream in = socket.getInputStream();
            byte[] reply = in.readAllBytes();
            String text = new String(reply, StandardCharsets.ISO_8859_1);
            assertThat(text.isEmpty() || text.startsWith("HTTP/1.1 408")).as(text).isTrue();
        }
        assertThat(await(() -> fixture.server.inFlight() == 0)).isTrue();
        assertStillServing();
    }

    @Test
    void hangingUpMidStreamCancelsGenerationAndTheServerCarriesOn() throws Exception {
        // Greedy decoding is deterministic and, from this prompt, runs to the 400-token limit without an end token
        // (were it to stop early, the stream would end normally and the abandoned count below would not move).
        long abandonedBefore = fixture.server.abandonedStreams();
        // ...so a client that leaves after the first event leaves while tokens are still coming.
        String body = chatBody(400, true);
        try (Socket socket = new Socket("127.0.0.1", fixture.server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + SecuredServer.ALICE_KEY + "\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
            String line;
            while ((line = in.readLine()) != null && !line.contains("data: ")) {
                // skip headers and chunk sizes up to the first event
            }
            assertThat(line).contains("chat.completion.chunk");
            socket.setSoLinger(true, 0); // hang up abruptly (RST), as a crashed client would
        }
        assertThat(await(() -> fixture.server.abandonedStreams() == abandonedBefore + 1)).isTrue();
        assertThat(await(() -> fixture.server.inFlight() == 0)).isTrue();
        assertStillServing();
    }

    @Test
    void probesMetricsAndUnknownRoutes() throws Exception {
        assertStillServing();
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(get("/readyz").statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(metrics.body()).contains("gen_ai_client_operation_duration_seconds_count")
                .contains("assistant_server_requests_seconds_count{method=\"POST\",route=\"/v1/chat/completions\",status=\"200\"}")
                .doesNotContain(SecuredServer.ALICE_KEY);
        HttpResponse<String> unknown = get("/v1/embeddings");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(error(unknown).get("code").asText()).isEqualTo("unknown_url");
        HttpResponse<String> wrongMethod = get("/v1/chat/completions");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST");
    }

    @Test
    void notReadyUntilAModelIsServed() throws Exception {
        try (OpenAiServer empty = OpenAiServer.builder().config(ServerConfig.builder().port(0).build()).build().start()) {
            String base = "http://127.0.0.1:" + empty.port();
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
            HttpResponse<String> loading = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(chatBody(2, false))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(loading.statusCode()).isEqualTo(503);
            assertThat(loading.headers().firstValue("Retry-After")).isPresent();
            assertThat(error(loading).get("code").asText()).isEqualTo("model_loading");
            empty.addModel(fixture.assistant);
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
    }

    static boolean await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return condition.getAsBoolean();
    }

    static CompletableFuture<Boolean> async(java.util.concurrent.Callable<Boolean> task) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "test-async");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
