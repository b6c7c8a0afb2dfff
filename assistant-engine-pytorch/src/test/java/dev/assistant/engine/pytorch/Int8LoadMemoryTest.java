package dev.assistant.engine.pytorch;

import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.demo.RandomModelWriter;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No engine keeps the model file mapped once a model is loaded, float32 or INT8: float weights are copied into
 * memory the engine owns (so a file truncated or rewritten under a running process cannot fault it), and the maps
 * read for quantizing are released as each matrix is quantized, not at some later garbage collection (which an idle
 * heap may never run). Read from /proc/self/maps.
 */
@EnabledOnOs(OS.LINUX)
class Int8LoadMemoryTest {

    @ParameterizedTest
    @CsvSource({"native,F32", "native,INT8", "pytorch,F32", "pytorch,INT8"})
    void noEngineKeepsTheModelFileMappedAfterLoad(String backend, WeightType type, @TempDir Path dir)
            throws IOException {
        ModelShape shape = new ModelShape("mapped-untied", 256, 2, 4, 2, 768, 4096, 128, false);
        RandomModelWriter.write(dir, shape, 3);
        Path file = dir.resolve("model.safetensors");
        try (CausalLanguageModel model = load(dir, type, backend)) {
            assertThat(model.computeType()).isEqualTo(type.toString());
            assertThat(mappedBytes(file)).isZero();
        }
    }

    private static CausalLanguageModel load(Path dir, WeightType type, String backend) {
        return TestLoading.load(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").weightType(type).backend(backend).build());
    }

    /** Bytes of {@code file} mapped into this process, summed over /proc/self/maps. */
    private static long mappedBytes(Path file) throws IOException {
        String path = file.toRealPath().toString();
        long total = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (line.endsWith(" " + path)) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                HexFormat hex = HexFormat.of();
                total += hex.fromHexDigitsToLong(range[1]) - hex.fromHexDigitsToLong(range[0]);
            }
        }
        return total;
    }
}
