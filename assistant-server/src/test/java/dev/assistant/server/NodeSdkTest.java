package dev.assistant.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The official OpenAI Node SDK (npm {@code openai}, installed into {@code src/test/node} by {@code .ci/run}) against
 * the server on loopback: json_schema output (whole and streamed), logprobs, and n=2 (whole and streamed). The
 * script prints what it received; this test checks it. Skipped when node or the SDK is missing, except on CI
 * ({@code CI=true}), where that is a failure.
 */
class NodeSdkTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of("src", "test", "node");
    private static SecuredServer fixture;

    @BeforeAll
    static void start() {
        boolean installed = Files.isDirectory(DIR.resolve("node_modules").resolve("openai"));
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("the OpenAI Node SDK is not installed in " + DIR.toAbsolutePath()
                    + " (.ci/run installs it with npm)");
        }
        assumeTrue(installed, "the OpenAI Node SDK is not installed in " + DIR + " (run: npm install --prefix " + DIR + ")");
        fixture = new SecuredServer();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void theNodeSdkGetsValidStructuredOutputLogprobsAndTwoChoices() throws Exception {
        JsonNode out = run();
        for (JsonNode answer : out.get("structured")) {
            assertThat(OpenAiStructuredOutputTest.problem(answer.get("text").asText())).isNull();
            assertThat(answer.get("finish").asText()).isEqualTo("stop");
        }
        for (int i = 0; i < out.get("streamed").size(); i++) {
            assertThat(out.get("streamed").get(i).asText()).isEqualTo(out.get("structured").get(i).get("text").asText());
        }
        JsonNode logprobs = out.get("logprobs");
        assertThat(logprobs.get("content")).hasSize(logprobs.get("completionTokens").asInt());
        for (JsonNode t : logprobs.get("content")) {
            assertThat(t.get("logprob").asDouble()).isLessThanOrEqualTo(0);
            assertThat(t.get("top")).hasSize(3);
            assertThat(t.get("top").get(0).asDouble()).isGreaterThanOrEqualTo(t.get("logprob").asDouble());
            assertThat(new String(bytes(t.get("bytes")), StandardCharsets.UTF_8)).isEqualTo(t.get("token").asText());
        }
        JsonNode choices = out.get("choices");
        assertThat(choices).hasSize(2);
        assertThat(choices.get(0).get("index").asInt()).isZero();
        assertThat(choices.get(1).get("index").asInt()).isEqualTo(1);
        assertThat(choices.get(0).get("text").asText()).isNotEqualTo(choices.get(1).get("text").asText());
        assertThat(out.get("streamedChoices").get("0").asText()).isEqualTo(choices.get(0).get("text").asText());
        assertThat(out.get("streamedChoices").get("1").asText()).isEqualTo(choices.get(1).get("text").asText());
        JsonNode legacy = out.get("legacy");
        assertThat(legacy).hasSize(2);
        assertThat(legacy.get(0).get("top").get(0).size()).isEqualTo(2);
    }

    private static byte[] bytes(JsonNode array) {
        byte[] b = new byte[array.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) array.get(i).asInt();
        }
        return b;
    }

    private static JsonNode run() throws IOException, InterruptedException {
        Path stdout = Files.createTempFile("node-sdk", ".json");
        Path stderr = Files.createTempFile("node-sdk", ".err");
        try {
            Process p = new ProcessBuilder("node", "structured-output.mjs", fixture.baseUrl(), SecuredServer.ALICE_KEY,
                    SecuredServer.MODEL).directory(DIR.toFile()).redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("the Node SDK script did not finish within 5 minutes");
            }
            assertThat(p.exitValue()).as("node failed: %s", Files.readString(stderr)).isZero();
            return JSON.readTree(stdout.toFile());
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
