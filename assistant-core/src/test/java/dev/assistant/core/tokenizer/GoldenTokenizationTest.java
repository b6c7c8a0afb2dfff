package dev.assistant.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.testing.SharedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * Every {@code golden_tokenization.json} under the shared models directory (found by walking it, so new golden files
 * are picked up): each case's ids without and with special tokens, its decoded text, and streaming-decoder
 * equivalence, exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GoldenTokenizationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<ModelTokenizer> opened = new ArrayList<>();

    @AfterAll
    void closeAll() {
        opened.forEach(ModelTokenizer::close);
    }

    @TestFactory
    Stream<DynamicNode> goldenTokenization() throws IOException {
        Path models = SharedModels.root().resolve("models");
        List<Path> goldens;
        try (Stream<Path> walk = Files.walk(models)) {
            goldens = walk.filter(p -> p.getFileName().toString().equals("golden_tokenization.json")).sorted().toList();
        }
        assertThat(goldens).as("golden files under " + models).hasSizeGreaterThanOrEqualTo(6);
        return goldens.stream().map(this::container);
    }

    private DynamicContainer container(Path golden) {
        Path dir = Files.isRegularFile(golden.resolveSibling("tokenizer.json")) ? golden.getParent()
                : golden.getParent().getParent();
        JsonNode root = read(golden);
        ModelTokenizer tokenizer = ModelTokenizer.load(dir);
        opened.add(tokenizer);
        List<DynamicTest> tests = new ArrayList<>();
        int index = 0;
        for (JsonNode c : root.get("cases")) {
            String text = c.get("text").asText();
            int[] ids = ints(c.get("ids"));
            int[] withSpecial = ints(c.get("ids_with_special_tokens"));
            String decoded = c.get("decoded").asText();
            String name = "#" + (index++) + " " + JSON.valueToTree(text);
            tests.add(DynamicTest.dynamicTest(name, () -> {
                assertThat(tokenizer.encode(text, false)).as("ids").containsExactly(ids);
                assertThat(tokenizer.encode(text, true)).as("ids_with_special_tokens").containsExactly(withSpecial);
                assertThat(tokenizer.decode(ids, false)).as("decoded").isEqualTo(decoded);
                assertStreamingMatches(tokenizer, ids, false);
                assertStreamingMatches(tokenizer, ids, true);
                assertStreamingMatches(tokenizer, withSpecial, false);
                assertStreamingMatches(tokenizer, withSpecial, true);
            }));
        }
        return DynamicContainer.dynamicContainer(models(golden), tests);
    }

    /** push(id)* + flush() == decode(ids); no chunk carries a replacement char the full text lacks. */
    static void assertStreamingMatches(ModelTokenizer tokenizer, int[] ids, boolean skipSpecial) {
        String expected = tokenizer.decode(ids, skipSpecial);
        StreamingDecoder decoder = tokenizer.newStreamingDecoder(skipSpecial);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.push(id);
            if (!expected.contains("\uFFFD")) {
                assertThat(piece).as("chunk for id " + id).doesNotContain("\uFFFD");
            }
            streamed.append(piece);
            assertThat(expected).as("streamed text is always a prefix").startsWith(streamed.toString());
        }
        String tail = decoder.flush();
        if (!tokenizer.cleansUpTokenizationSpaces() && !expected.endsWith("\uFFFD")) {
            assertThat(tail).as("nothing held back at the end of complete text").isEmpty();
        }
        assertThat(streamed.append(tail).toString()).as("streamed (skip=" + skipSpecial + ")").isEqualTo(expected);
    }

    private static String models(Path golden) {
        return golden.getParent().getFileName() + "/" + golden.getFileName();
    }

    private static JsonNode read(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
