package dev.assistant.core.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.core.tokenizer.ModelTokenizer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tokenizer read from GGUF metadata (vocabulary, scores or merges, token types, special ids) tokenizes and decodes
 * exactly as the HuggingFace tokenizer.json it was converted from, on every golden tokenization case.
 */
class GgufTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"models/stories260K", "models/tinystories-gpt2-mini", "models/tokenizers/llama2",
            "models/tokenizers/mistral-style-32k", "models/tokenizers/gpt2", "models/tokenizers/qwen3"})
    void ggufTokenizerEqualsTheHuggingFaceTokenizerOnTheGoldenCases(String relative) throws IOException {
        Path dir = SharedModels.root().resolve(relative);
        Path gguf = GgufConverter.tokenizerOnly(dir, tmp.resolve("tok.gguf"));
        Path golden = Files.isRegularFile(dir.resolve("golden_tokenization.json")) ? dir.resolve("golden_tokenization.json")
                : dir.resolve("reference/golden_tokenization.json");
        try (ModelTokenizer hf = ModelTokenizer.load(dir); ModelTokenizer g = ModelTokenizer.load(gguf)) {
            assertThat(g.vocabSize()).isEqualTo(hf.vocabSize());
            assertThat(g.specialTokens().bos()).isEqualTo(hf.specialTokens().bos());
            assertThat(g.specialTokens().eos()).isEqualTo(hf.specialTokens().eos());
            assertThat(g.specialTokens().specialIds()).containsExactly(hf.specialTokens().specialIds());
            int cases = 0;
            for (JsonNode c : JSON.readTree(golden.toFile()).get("cases")) {
                String text = c.get("text").asText();
                int[] ids = ints(c.get("ids"));
                assertThat(g.encode(text, false)).as("ids of %s", text).containsExactly(ids);
                assertThat(g.encode(text, true)).as("ids with special tokens of %s", text)
                        .containsExactly(ints(c.get("ids_with_special_tokens")));
                assertThat(g.decode(ids, false)).as("decoded %s", text).isEqualTo(hf.decode(ids, false));
                assertThat(g.decode(ids, true)).isEqualTo(hf.decode(ids, true));
                cases++;
            }
            assertThat(cases).isPositive();
            if (hf.chatTemplate().isPresent()) {
                List<ChatMessage> chat = List.of(ChatMessage.user("Hi there"));
                assertThat(g.encodeChat(chat, true)).containsExactly(hf.encodeChat(chat, true));
            }
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
