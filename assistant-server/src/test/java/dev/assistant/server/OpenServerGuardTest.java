package dev.assistant.server;

import dev.assistant.core.testing.SharedModels;
import dev.assistant.core.Assistant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server without API keys can be driven by any web page the user visits, unless it refuses what a browser sends
 * on a page's behalf: a foreign {@code Host} (DNS rebinding), a foreign {@code Origin}, a non-JSON body.
 */
class OpenServerGuardTest {
    private static final String JSON_TYPE = "Content-Type: application/json\r\n";
    private static Assistant assistant;
    private static OpenAiServer server;

    @BeforeAll
    static void start() {
        assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).modelName("stories").device("cpu")
                .workers(2).defaultTimeout(Duration.ofMinutes(1)).build();
        server = OpenAiServer.builder().config(ServerConfig.builder().port(0).allowedHost("assistant.internal").build())
                .model(assistant).build().start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (assistant != null) {
            assistant.close();
        }
    }

    private static RawHttp.Reply chat(String host, String extraHeaders) throws Exception {
        String body = RobustnessTest.chatBody(2, false);
        return RawHttp.exchange(server.port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: " + host
                + "\r\nConnection: close\r\n" + extraHeaders + "Content-Length: " + body.length() + "\r\n\r\n" + body);
    }

    @Test
    void loopbackAndAllowedHostsAreServed() throws Exception {
        for (String host : new String[] {"127.0.0.1:" + server.port(), "localhost:" + server.port(), "LOCALHOST",
                "[::1]:" + server.port(), "assistant.internal:8000", "assistant.internal"}) {
            RawHttp.Reply r = chat(host, JSON_TYPE);
            assertThat(r.status()).as(host + ": " + r.body()).isEqualTo(200);
        }
        assertThat(chat("127.0.0.1", JSON_TYPE + "Origin: http://localhost:3000\r\n").status()).isEqualTo(200);
    }

    @Test
    void aRebindingHostIsRefused() throws Exception {
        for (String host : new String[] {"evil.example", "evil.example:" + server.port(), "127.0.0.1.evil.example",
                "localhost.evil.example", "[::2]", ""}) {
            RawHttp.Reply r = chat(host, JSON_TYPE);
            assertThat(r.status()).as(host).isIn(400, 403);
            r.error();
        }
        RawHttp.Reply metrics = RawHttp.exchange(server.port(),
                "GET /metrics HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
        assertThat(metrics.status()).isEqualTo(403);
        assertThat(metrics.error().get("code").asText()).isEqualTo("host_not_allowed");
        RawHttp.Reply models = RawHttp.exchange(server.port(),
                "GET /v1/models HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
        assertThat(models.status()).isEqualTo(403);
    }

    @Test
    void aForeignOriginIsRefused() throws Exception {
        for (String origin : new String[] {"https://evil.example", "null", "http://127.0.0.1.evil.example:8000"}) {
            RawHttp.Reply r = chat("127.0.0.1", JSON_TYPE + "Origin: " + origin + "\r\n");
            assertThat(r.status()).as(origin).isEqualTo(403);
            assertThat(r.error().get("code").asText()).isEqualTo("origin_not_allowed");
        }
    }

    @Test
    void aBodyABrowserCouldSendWithoutAskingIsRefused() throws Exception {
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}) {
            RawHttp.Reply r = chat("127.0.0.1", "Content-Type: " + type + "\r\n");
            assertThat(r.status()).as(type).isEqualTo(415);
        }
        assertThat(chat("127.0.0.1", "").status()).isEqualTo(415);
        assertThat(chat("127.0.0.1", "Content-Type: application/json; charset=utf-8\r\n").status()).isEqualTo(200);
    }
}
