package dev.assistant.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes NumPy {@code .npy} files (format version 1.0). */
final class NpyWriter {
    private NpyWriter() {
    }

    /** A little-endian float32 array of shape [values.length]. */
    static void writeFloat32(Path file, float[] values) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + values.length + ",), }";
        int unpadded = 10 + dict.length() + 1; // magic(6) + version(2) + header length(2) + dict + '\n'
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        ByteBuffer buffer = ByteBuffer.allocate(10 + header.length() + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        buffer.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        buffer.asFloatBuffer().put(values);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(file, buffer.array());
    }
}
