package dev.assistant.server;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that send their body slowly, or not at all, hold a connection each but no thread: while many of them
 * trickle, probes and a keyed chat are still answered; bodies slower than the deadline or the minimum rate get 408.
 */
class SlowBodyTest {
    private static final int THREADS = 16;
    private static final int SLOW_CLIENTS = 3 * THREADS;

    @Test
    void slowBodiesDoNotStallOtherClients() throws Exception {
        // Few threads, long deadlines, no minimum rate: were a slow body to hold a thread while it trickles, the
        // slow clients below would take every thread until the end of the test.
        try (SecuredServer fixture = new SecuredServer(ServerConfig.builder().maxThreads(THREADS)
                .bodyTimeout(Duration.ofMinutes(5)).minRequestBytesPerSecond(0).idleTimeout(Duration.ofMinutes(5)))) {
            int port = fixture.server.port();
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    // A third without a key (refused before the body is read), the rest with a valid one.
                    String key = i % 3 == 0 ? "" : "Authorization: Bearer " + SecuredServer.ALICE_KEY + "\r\n";
                    Socket socket = new Socket("127.0.0.1", port);
                    OutputStream out = socket.getOutputStream();
                    out.write(("POST /v1/" + (i % 2 == 0 ? "chat/completions" : "completions") + " HTTP/1.1\r\n"
                            + "Host: 127.0.0.1\r\nContent-Type: application/json\r\n" + key
                            + "Content-Length: 5000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    slow.add(socket);
                }
                assertThat(RobustnessTest.await(() -> fixture.server.inFlight() >= SLOW_CLIENTS * 2 / 3)).isTrue();

                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/healthz")).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                HttpResponse<String> chat = http.send(HttpRequest.newBuilder(URI.create(fixture.baseUrl() + "/chat/completions"))
                        .header("Authorization", "Bearer " + SecuredServer.ALICE_KEY)
                        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofString(RobustnessTest.chatBody(4, false))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
                // The slow ones are all still waiting for their bodies: they were not served by being dropped.
                assertThat(RobustnessTest.await(() -> fixture.server.inFlight() == SLOW_CLIENTS * 2 / 3)).isTrue();
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
            assertThat(RobustnessTest.await(() -> fixture.server.inFlight() == 0)).isTrue();
        }
    }

    @Test
    void aBodyPastItsDeadlineGets408() throws Exception {
        try (SecuredServer fixture = new SecuredServer(ServerConfig.builder().bodyTimeout(Duration.ofSeconds(1))
                .minRequestBytesPerSecond(0).idleTimeout(Duration.ofMinutes(1)))) {
            assertTrickleRefused(fixture, Duration.ofMillis(200));
        }
    }

    @Test
    void aBodyBelowTheMinimumRateGets408() throws Exception {
        try (SecuredServer fixture = new SecuredServer(ServerConfig.builder().bodyTimeout(Duration.ofMinutes(5))
                .minRequestBytesPerSecond(100).idleTimeout(Duration.ofMinutes(1)))) {
            assertTrickleRefused(fixture, Duration.ofMillis(400));
        }
    }

    /** Sends one byte per {@code pause} until the server answers; the answer must be a JSON 408. */
    private static void assertTrickleRefused(SecuredServer fixture, Duration pause) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", fixture.server.port())) {
            socket.setSoTimeout(200);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + SecuredServer.ALICE_KEY + "\r\nContent-Length: 5000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            StringBuilder reply = new StringBuilder();
            byte[] buffer = new byte[4096];
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    out.write(' ');
                    out.flush();
                } catch (java.io.IOException closed) {
                    // the server closed after answering; read what it sent
                }
                Thread.sleep(pause.toMillis());
                try {
                    int n = socket.getInputStream().read(buffer);
                    if (n < 0) {
                        break;
                    }
                    reply.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    if (reply.indexOf("}}") >= 0) {
                        break;
                    }
                } catch (java.net.SocketTimeoutException nothingYet) {
                    // keep trickling
                }
            }
            RawHttp.Reply r = RawHttp.Reply.parse(reply.toString());
            assertThat(r.status()).as(reply.toString()).isEqualTo(408);
            assertThat(r.error().get("code").asText()).isEqualTo("request_timeout");
        }
        assertThat(RobustnessTest.await(() -> fixture.server.inFlight() == 0)).isTrue();
    }
}
