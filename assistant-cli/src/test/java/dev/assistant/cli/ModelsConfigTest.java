package dev.assistant.cli;

import dev.assistant.api.AssistantException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelsConfigTest {
    @TempDir
    Path temp;

    @Test
    void readsModelsInOrderWithPathsRelativeToTheFile() throws Exception {
        Path file = write("""
                {"models": [{"name": "general", "path": "models/general-v3"},
                            {"name": "code", "path": "/srv/code-v1"}],
                 "idleUnload": "PT30M"}""");
        ModelsConfig config = ModelsConfig.read(file);
        assertThat(config.models()).containsExactly(
                new ModelsConfig.Model("general", temp.resolve("models/general-v3")),
                new ModelsConfig.Model("code", Path.of("/srv/code-v1")));
        assertThat(config.idleUnload()).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void mistakesAreTypedErrorsNamingTheField() throws Exception {
        assertRefused("{\"models\": []}", "at least one model");
        assertRefused("{\"models\": [{\"name\": \"a b\", \"path\": \"x\"}]}", "models[0].name");
        assertRefused("{\"models\": [{\"name\": \"a\", \"path\": \"x\"}, {\"name\": \"a\", \"path\": \"y\"}]}",
                "models[1].name repeats");
        assertRefused("{\"models\": [{\"name\": \"a\"}]}", "models[0].path is required");
        assertRefused("{\"models\": [{\"name\": \"a\", \"path\": \"x\", \"dtpye\": \"int8\"}]}", "models[0].dtpye");
        assertRefused("{\"models\": [{\"name\": \"a\", \"path\": \"x\"}], \"idleUnload\": \"30m\"}", "ISO-8601");
        assertRefused("{\"models\": ", "not readable as JSON");
    }

    private void assertRefused(String json, String message) throws Exception {
        Path file = write(json);
        assertThatThrownBy(() -> ModelsConfig.read(file)).isInstanceOf(AssistantException.class)
                .hasMessageContaining(message);
    }

    private Path write(String json) throws Exception {
        Path file = Files.createTempFile(temp, "models", ".json");
        Files.writeString(file, json);
        return file;
    }
}
