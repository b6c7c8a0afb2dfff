package dev.assistant.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a {@code .safetensors} file, streaming each tensor's bytes so that models larger than the heap can be
 * written. The file appears atomically: it is written next to the target and moved into place when complete.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Produces the little-endian bytes of one tensor, in order, into {@code sink}. */
    @FunctionalInterface
    public interface TensorBytes {
        void writeTo(ByteSink sink) throws IOException;
    }

    /** Where tensor bytes go; buffers are consumed from position to limit. */
    @FunctionalInterface
    public interface ByteSink {
        void write(ByteBuffer bytes) throws IOException;
    }

    private record Entry(String name, DType dtype, long[] shape, TensorBytes bytes) {
        long byteLength() {
            long n = dtype.bytes();
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor whose bytes are produced when the file is written. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, TensorBytes bytes) {
        Objects.requireNonNull(name, "name");
        if (entries.stream().anyMatch(e -> e.name.equals(name))) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
        entries.add(new Entry(name, dtype, shape.clone(), bytes));
        return this;
    }

    /** Adds a float32 tensor held in memory. */
    public SafetensorsWriter addF32(String name, long[] shape, float[] values) {
        checkCount(name, shape, values.length);
        return add(name, DType.F32, shape, sink -> {
            ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buffer.asFloatBuffer().put(values);
            sink.write(buffer);
        });
    }

    /** Adds an int8 tensor held in memory. */
    public SafetensorsWriter addI8(String name, long[] shape, byte[] values) {
        checkCount(name, shape, values.length);
        return add(name, DType.I8, shape, sink -> sink.write(ByteBuffer.wrap(values)));
    }

    /** Adds a tensor whose bytes are already laid out (little-endian) in {@code bytes}. */
    public SafetensorsWriter addRaw(String name, DType dtype, long[] shape, ByteBuffer bytes) {
        ByteBuffer view = bytes.duplicate();
        return add(name, dtype, shape, sink -> sink.write(view.duplicate()));
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
        return this;
    }

    private static void checkCount(String name, long[] shape, int count) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != count) {
            throw new IllegalArgumentException("tensor " + name + " has " + count + " values for shape " + Arrays.toString(shape));
        }
    }

    /** Writes the file to {@code target}, replacing it atomically. */
    public void write(Path target) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode node = header.putObject(e.name);
            node.put("dtype", e.dtype.name());
            ArrayNode shape = node.putArray("shape");
            for (long d : e.shape) {
                shape.add(d);
            }
            long end = offset + e.byteLength();
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the format recommends 8-byte alignment of the data section
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, target.getFileName().toString(), ".partial");
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).flip();
            writeFully(out, length);
            writeFully(out, ByteBuffer.wrap(headerBytes));
            for (Entry e : entries) {
                long[] written = {0};
                e.bytes.writeTo(buffer -> written[0] += writeFully(out, buffer));
                if (written[0] != e.byteLength()) {
                    throw new IllegalStateException("tensor " + e.name + " produced " + written[0] + " bytes, expected "
                            + e.byteLength());
                }
            }
            out.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static long writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        long n = 0;
        while (buffer.hasRemaining()) {
            n += out.write(buffer);
        }
        return n;
    }
}
