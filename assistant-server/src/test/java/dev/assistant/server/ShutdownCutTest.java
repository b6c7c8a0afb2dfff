package dev.assistant.server;

import dev.assistant.core.testing.SharedModels;
import dev.assistant.core.Assistant;
import dev.assistant.core.pipeline.CallStep;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream still running when the shutdown grace ends is ended with an error event and {@code [DONE]}, not a
 * connection that just drops; a whole answer still waiting gets a 503.
 */
class ShutdownCutTest {

    @Test
    void requestsStillRunningAtTheEndOfTheGraceGetALastAnswer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        // A generation that has produced one piece of text and then takes as long as the test wants.
        CallStep stuck = (call, next) -> {
            call.listener().onText("Once");
            // The chain is asynchronous: hold the call without holding the caller's thread.
            return CompletableFuture.runAsync(() -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }).thenCompose(ignored -> next.proceed(call));
        };
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).modelName("stories")
                .device("cpu").workers(2).step(stuck).defaultTimeout(Duration.ofMinutes(1)).build()) {
            OpenAiServer server = OpenAiServer.builder().config(ServerConfig.builder().port(0).build()).model(assistant)
                    .build().start();
            try (Socket streaming = new Socket("127.0.0.1", server.port());
                 Socket whole = new Socket("127.0.0.1", server.port())) {
                streaming.setSoTimeout(30_000);
                whole.setSoTimeout(30_000);
                send(streaming, RobustnessTest.chatBody(8, true));
                BufferedReader stream = new BufferedReader(new InputStreamReader(streaming.getInputStream(), StandardCharsets.UTF_8));
                assertThat(stream.readLine()).isEqualTo("HTTP/1.1 200 OK");
                String line;
                while ((line = stream.readLine()) != null && !line.startsWith("data: ")) {
                    // headers and the first chunk size
                }
                assertThat(line).contains("Once");
                send(whole, RobustnessTest.chatBody(8, false));
                assertThat(RobustnessTest.await(() -> server.inFlight() == 2)).isTrue();

                assertThat(server.shutdown(Duration.ofMillis(300))).as("not every request finished").isFalse();

                List<String> events = new ArrayList<>();
                while ((line = stream.readLine()) != null) {
                    if (line.startsWith("data: ")) {
                        events.add(line.substring(6));
                    }
                }
                assertThat(events).hasSize(2);
                assertThat(events.get(0)).contains("\"error\"").contains("server_shutting_down");
                assertThat(events.get(1)).isEqualTo("[DONE]");
                RawHttp.Reply reply = RawHttp.Reply.parse(new String(whole.getInputStream().readAllBytes(),
                        StandardCharsets.UTF_8));
                assertThat(reply.status()).isEqualTo(503);
                assertThat(reply.error().get("code").asText()).isEqualTo("server_shutting_down");
            } finally {
                release.countDown();
                server.close();
            }
        }
    }

    private static void send(Socket socket, String body) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
