package dev.assistant.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.assistant.api.AssistantException;
import dev.assistant.core.model.WeightStore;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A sharded model's {@code model.safetensors.index.json} may come from anywhere. Whatever bytes it holds, reading it ends normally or with an {@link AssistantException}; a crash, a
 * hang, an {@code OutOfMemoryError} or any other exception is a finding. A normal build replays the committed
 * inputs ({@code src/test/resources/.../SafetensorsIndexFuzzTestInputs/}); the {@code fuzz} profile explores from them.
 */
class SafetensorsIndexFuzzTest {
    private static final FuzzDirectory DIR = new FuzzDirectory("SafetensorsIndexFuzzTest");

    @AfterAll
    static void cleanUp() throws IOException {
        DIR.delete();
    }

    @FuzzTest(maxDuration = "15s")
    void safetensorsIndex(byte[] data) throws IOException {
        Path dir = DIR.clean();
        Files.write(dir.resolve("model.safetensors.index.json"), data);
        // One small valid shard the index may (or may not) point at.
        Files.write(dir.resolve("model-00001-of-00001.safetensors"), FuzzDirectory.ONE_TENSOR);
        try (WeightStore store = WeightStore.open(dir)) {
            store.tensors().values().forEach(store::map);
        } catch (AssistantException expected) {
            // refused with a type
        }
    }
}
