package dev.assistant.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A config.json with absurd values (2^31-1 layers, a vocabulary the weights do not have, zero or negative sizes)
 * fails the load with {@code MODEL_INVALID} naming the field, before anything is sized from it: no
 * {@code OutOfMemoryError}, no "Requested array size exceeds VM limit".
 */
class AbsurdConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private Path copy(String model, String field, String value) throws IOException {
        Path source = SharedModels.model(model);
        Path dir = temp.resolve(model);
        Files.createDirectories(dir);
        try (var files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.set(field, JSON.readTree(value));
        Files.writeString(dir.resolve("config.json"), config.toPrettyString());
        return dir;
    }

    private static void assertInvalidNaming(Path dir, String field) {
        assertThatThrownBy(() -> Assistant.builder().modelPath(dir).device("cpu").build().close())
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    org.assertj.core.api.Assertions.assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    org.assertj.core.api.Assertions.assertThat(e.getMessage()).contains("'" + field + "'");
                });
    }

    @ParameterizedTest(name = "llama {0} = {1}")
    @CsvSource(delimiter = ';', value = {
            "num_hidden_layers; 2147483647", "num_hidden_layers; 6", "num_hidden_layers; 0", "num_hidden_layers; -5",
            "hidden_size; 2147483647", "hidden_size; 128", "hidden_size; 0",
            "num_attention_heads; 2147483647", "num_attention_heads; 4", "num_attention_heads; -1",
            "num_key_value_heads; 8", "head_dim; 1000000",
            "vocab_size; 2147483647", "vocab_size; 100000", "vocab_size; 0",
            "intermediate_size; 2147483647", "intermediate_size; 1000", "intermediate_size; -172",
            "max_position_embeddings; 2147483647", "max_position_embeddings; 0",
            "num_hidden_layers; 1e300", "vocab_size; 99999999999999999999999"})
    void llamaConfigs(String field, String value) throws IOException {
        assertInvalidNaming(copy("stories260K", field, value), field);
    }

    @ParameterizedTest(name = "gpt2 {0} = {1}")
    @CsvSource(delimiter = ';', value = {
            "n_layer; 2147483647", "n_layer; 3", "n_layer; 0",
            "n_embd; 2147483647", "n_embd; 0",
            "n_head; 2147483647", "n_head; -4",
            "vocab_size; 2147483647", "vocab_size; 7",
            "n_inner; 2147483647", "n_inner; 100",
            "n_positions; 2147483647", "n_positions; 7", "n_positions; -1"})
    void gpt2Configs(String field, String value) throws IOException {
        assertInvalidNaming(copy("tinystories-gpt2-mini", field, value), field);
    }
}
