package dev.assistant.core.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A scratch model directory the file-format fuzz targets write each input into (emptied per input). */
final class FuzzDirectory {
    /** A valid one-tensor safetensors file: an F32 vector of two zeros. */
    static final byte[] ONE_TENSOR = oneTensor();

    private final Path dir;

    FuzzDirectory(String name) {
        try {
            this.dir = Files.createTempDirectory(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The directory, emptied. */
    Path clean() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        return dir;
    }

    void delete() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static byte[] oneTensor() {
        byte[] header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}".getBytes(StandardCharsets.UTF_8);
        byte[] file = new byte[8 + header.length + 8];
        long n = header.length;
        for (int i = 0; i < 8; i++) {
            file[i] = (byte) (n >>> (8 * i));
        }
        System.arraycopy(header, 0, file, 8, header.length);
        return file;
    }
}
