package dev.assistant.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.assistant.api.AssistantException;
import dev.assistant.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A safetensors file may come from anywhere. Whatever bytes it holds, reading it ends normally or with an {@link AssistantException}; a crash, a
 * hang, an {@code OutOfMemoryError} or any other exception is a finding. A normal build replays the committed
 * inputs ({@code src/test/resources/.../SafetensorsHeaderFuzzTestInputs/}); the {@code fuzz} profile explores from them.
 */
class SafetensorsHeaderFuzzTest {
    private static final FuzzDirectory DIR = new FuzzDirectory("SafetensorsHeaderFuzzTest");

    @AfterAll
    static void cleanUp() throws IOException {
        DIR.delete();
    }

    @FuzzTest(maxDuration = "15s")
    void safetensorsHeader(byte[] data) throws IOException {
        Path file = DIR.clean().resolve("model.safetensors");
        Files.write(file, data);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            f.tensors().values().forEach(f::map);
        } catch (AssistantException expected) {
            // a typed refusal is the right answer to a bad file
        }
    }
}
