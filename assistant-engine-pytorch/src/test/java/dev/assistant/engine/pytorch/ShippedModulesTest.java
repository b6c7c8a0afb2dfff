package dev.assistant.engine.pytorch;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The TorchScript files in the jar are the ones the checked-in generator makes. */
class ShippedModulesTest {
    private static final Path GENERATOR = Path.of("src/main/python/make_torchscript_modules.py");

    @ParameterizedTest
    @ValueSource(strings = {"INT8_LINEAR", "RAGGED_ATTENTION", "INT8_LLAMA_LAYER", "FLOAT_LLAMA_LAYER"})
    void checkedInModuleWasMadeByTheCurrentGenerator(String name, @TempDir Path dir)
            throws IOException, NoSuchAlgorithmException {
        ShippedModule module = switch (name) {
            case "INT8_LINEAR" -> ShippedModule.INT8_LINEAR;
            case "RAGGED_ATTENTION" -> ShippedModule.RAGGED_ATTENTION;
            case "INT8_LLAMA_LAYER" -> ShippedModule.INT8_LLAMA_LAYER;
            default -> ShippedModule.FLOAT_LLAMA_LAYER;
        };
        String expected = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(GENERATOR)));
        // TorchScript writes STORED entries with data descriptors, which ZipInputStream cannot read: use ZipFile
        Path copy = Files.write(dir.resolve(module.resource()), module.archive());
        String stored;
        try (ZipFile zip = new ZipFile(copy.toFile())) {
            ZipEntry entry = zip.getEntry(module.generatorDigestEntry());
            assertThat(entry).as("entry %s", module.generatorDigestEntry()).isNotNull();
            try (InputStream in = zip.getInputStream(entry)) {
                stored = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
            }
        }
        assertThat(stored).as("regenerate %s with %s (see its header)", module.resource(), GENERATOR)
                .isEqualTo(expected);
    }
}
