package dev.assistant.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.assistant.api.AssistantException;
import dev.assistant.core.gguf.GgufDequant;
import dev.assistant.core.gguf.GgufFile;
import dev.assistant.core.gguf.GgufModel;
import dev.assistant.core.gguf.GgufTokenizer;
import dev.assistant.core.gguf.GgufTensor;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A GGUF file may come from anywhere. Whatever bytes it holds, opening it, decoding every tensor and reading its
 * model config and tokenizer end normally or with an {@link AssistantException}; a crash, a hang, an {@code OutOfMemoryError} or any other exception is a
 * finding. A normal build replays the committed inputs ({@code src/test/resources/.../GgufFuzzTestInputs/}: valid
 * files, truncated ones, lying counts and offsets, huge array lengths, bad alignment); the {@code fuzz} profile
 * explores from them.
 */
class GgufFuzzTest {
    private static final FuzzDirectory DIR = new FuzzDirectory("GgufFuzzTest");

    @AfterAll
    static void cleanUp() throws IOException {
        DIR.delete();
    }

    @FuzzTest(maxDuration = "15s")
    void gguf(byte[] data) throws IOException {
        Path file = DIR.clean().resolve("model.gguf");
        Files.write(file, data);
        try (GgufFile f = GgufFile.open(file)) {
            for (GgufTensor t : f.tensors().values()) {
                if (t.elementCount() <= 1 << 20) {
                    GgufDequant.toFloats(t.type(), f.map(t), (int) t.elementCount());
                }
            }
            try {
                GgufModel.of(f).configJson();
            } catch (AssistantException expected) {
                // metadata that does not describe a supported model
            }
            GgufTokenizer.of(f).tokenizerJson();
            GgufTokenizer.of(f).tokenizerConfig();
        } catch (AssistantException expected) {
            // a typed refusal is the right answer to a bad file
        }
    }
}
