package dev.assistant.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.assistant.server.RobustnessTest.async;
import static dev.assistant.server.RobustnessTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Shutdown drains: the request in flight finishes, new ones get 503, readiness turns off, then the port closes. */
class GracefulShutdownTest {

    @Test
    void inFlightRequestFinishesWhileNewOnesGet503() throws Exception {
        try (SecuredServer fixture = new SecuredServer()) {
            int port = fixture.server.port();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            byte[] body = RobustnessTest.chatBody(4, false).getBytes(StandardCharsets.UTF_8);
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(60_000);
                OutputStream out = socket.getOutputStream();
                // Send half the body: the request is in flight (its handler waits for the rest) for as long as we like.
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Authorization: Bearer " + SecuredServer.ALICE_KEY + "\r\nContent-Length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body, 0, body.length / 2);
                out.flush();
                assertThat(await(() -> fixture.server.inFlight() == 1)).isTrue();

                CompletableFuture<Boolean> shutdown = async(() -> fixture.server.shutdown(Duration.ofSeconds(60)));
                assertThat(await(() -> !fixture.server.isReady())).isTrue();

                HttpResponse<String> refused = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + SecuredServer.ALICE_KEY)
                        .POST(HttpRequest.BodyPublishers.ofString(RobustnessTest.chatBody(4, false))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).isPresent();
                assertThat(new ObjectMapper().readTree(refused.body()).at("/error/code").asText())
                        .isEqualTo("server_shutting_down");
                assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
                assertThat(shutdown).isNotDone();

                out.write(body, body.length / 2, body.length - body.length / 2);
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
                String line;
                while ((line = in.readLine()) != null && !line.contains("\"chat.completion\"")) {
                    // headers, then the JSON body
                }
                assertThat(line).contains("\"finish_reason\"");
                assertThat(shutdown.get(60, TimeUnit.SECONDS)).as("every in-flight request finished").isTrue();
            }
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        }
    }
}
