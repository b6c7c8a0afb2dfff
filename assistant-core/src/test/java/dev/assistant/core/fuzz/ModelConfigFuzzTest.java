package dev.assistant.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.assistant.api.AssistantException;
import dev.assistant.core.model.ModelDirectory;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model's {@code config.json} may come from anywhere. Whatever bytes it holds, reading it ends normally or with an {@link AssistantException}; a crash, a
 * hang, an {@code OutOfMemoryError} or any other exception is a finding. A normal build replays the committed
 * inputs ({@code src/test/resources/.../ModelConfigFuzzTestInputs/}); the {@code fuzz} profile explores from them.
 */
class ModelConfigFuzzTest {
    private static final FuzzDirectory DIR = new FuzzDirectory("ModelConfigFuzzTest");

    @AfterAll
    static void cleanUp() throws IOException {
        DIR.delete();
    }

    @FuzzTest(maxDuration = "15s")
    void modelConfig(byte[] data) throws IOException {
        Path dir = DIR.clean();
        Files.write(dir.resolve("config.json"), data);
        Files.write(dir.resolve("model.safetensors"), FuzzDirectory.ONE_TENSOR);
        try {
            ModelDirectory model = ModelDirectory.read(dir, false);
            model.openWeights().close();
        } catch (AssistantException expected) {
            // refused with a type, naming the field
        }
    }
}
