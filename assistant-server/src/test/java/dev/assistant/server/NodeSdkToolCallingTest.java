package dev.assistant.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Node SDK (npm {@code openai}, installed by {@code .ci/run} into
 * {@code src/test/node}) runs {@code tool-calls.mjs} against the server on loopback: a forced call, a streamed
 * call assembled by the SDK's stream helper, the tool result sent back, and a bad tool choice rejected.
 */
class NodeSdkToolCallingTest {
    private static final Path NODE_DIR = Path.of("src/test/node");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theNodeSdkCallsAToolStreamsItAndSendsTheResultBack() throws Exception {
        requireSdk();
        JsonNode out;
        try (SecuredServer fixture = new SecuredServer()) {
            out = run(fixture.baseUrl(), SecuredServer.ALICE_KEY, SecuredServer.MODEL);
        }

        JsonNode choice = out.at("/whole/choices/0");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(choice.at("/message/content").isNull()).isTrue();
        JsonNode call = choice.at("/message/tool_calls/0");
        assertThat(call.get("type").asText()).isEqualTo("function");
        assertThat(call.at("/function/name").asText()).isEqualTo("weather");
        assertValidArguments(call.at("/function/arguments").asText());

        // raw chunks: the first tool-call delta names the call with empty arguments, fragments follow
        List<JsonNode> pieces = new ArrayList<>();
        List<String> finishReasons = new ArrayList<>();
        for (JsonNode chunk : out.get("chunks")) {
            for (JsonNode c : chunk.get("choices")) {
                c.at("/delta/tool_calls").forEach(pieces::add);
                if (!c.path("finish_reason").isNull()) {
                    finishReasons.add(c.get("finish_reason").asText());
                }
            }
        }
        assertThat(finishReasons).containsExactly("tool_calls");
        assertThat(pieces.get(0).get("index").asInt()).isZero();
        assertThat(pieces.get(0).get("id").asText()).startsWith("call_");
        assertThat(pieces.get(0).at("/function/name").asText()).isEqualTo("weather");
        assertThat(pieces.get(0).at("/function/arguments").asText()).isEmpty();
        assertThat(pieces.size()).isGreaterThan(1);
        JsonNode assembled = out.at("/streamed/choices/0/message/tool_calls/0");
        assertThat(assembled.get("id").asText()).isEqualTo(pieces.get(0).get("id").asText());
        assertValidArguments(assembled.at("/function/arguments").asText());

        JsonNode answer = out.at("/answer/choices/0");
        assertThat(answer.get("finish_reason").asText()).isIn("stop", "length");
        assertThat(answer.at("/message/content").isTextual()).isTrue();

        assertThat(out.at("/rejected/status").asInt()).isEqualTo(400);
        assertThat(out.at("/rejected/message").asText()).contains("nope");
    }

    private static void assertValidArguments(String arguments) throws IOException {
        JsonNode args = JSON.readTree(arguments);
        assertThat(args.size()).as(arguments).isEqualTo(2);
        assertThat(args.get("city").asText().length()).isLessThanOrEqualTo(10);
        assertThat(args.get("days").asInt()).isBetween(1, 7);
    }

    private static JsonNode run(String baseUrl, String key, String model) throws Exception {
        Path stdout = Files.createTempFile("node-sdk", ".json");
        Path stderr = Files.createTempFile("node-sdk", ".err");
        try {
            Process node = new ProcessBuilder("node", "tool-calls.mjs", baseUrl, key, model)
                    .directory(NODE_DIR.toFile()).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            if (!node.waitFor(180, TimeUnit.SECONDS)) {
                node.destroyForcibly();
                Assertions.fail("the Node SDK script did not finish within 180 s");
            }
            String err = Files.readString(stderr, StandardCharsets.UTF_8);
            assertThat(node.exitValue()).as("node exit status; stderr: %s", err).isZero();
            return JSON.readTree(Files.readString(stdout, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    /** Skips without the SDK, except on CI (CI=true), where its absence fails the build. */
    private static void requireSdk() {
        boolean present = Files.isRegularFile(NODE_DIR.resolve("node_modules/openai/package.json"));
        if (!present) {
            String message = "the OpenAI Node SDK is not installed: run .ci/run";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(message);
            }
            Assumptions.abort(message);
        }
    }
}
