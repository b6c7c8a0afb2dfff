package dev.assistant.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file, opened read-only, with a fully validated header.
 *
 * <p>Every claim of the header is checked against the file before any tensor is touched: the header length fits
 * the file, each tensor's byte range lies inside the data section, matches its dtype and shape, and no two tensors
 * overlap. A file that lies therefore fails here with {@link ErrorCode#MODEL_CORRUPTED} naming the file and tensor,
 * rather than later as a native crash. Tensor bytes are memory-mapped on demand ({@link #map(TensorInfo)}), never
 * copied through the heap.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Headers larger than this are refused: real headers are kilobytes, and this bounds what a liar can make us read. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and validates {@code path}.
     *
     * @throws AssistantException {@code MODEL_INVALID} if the file is missing, {@code MODEL_CORRUPTED} if its header
     *                            or layout is inconsistent
     */
    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "weights file not found: " + path, e);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot open weights file " + path + ": " + e.getMessage(), e);
        }
        try {
            return parse(path, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel channel) {
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw corrupted(path, "file is " + fileSize + " bytes, too short for a safetensors header");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
                throw corrupted(path, "header length " + Long.toUnsignedString(headerLength)
                        + " does not fit a file of " + fileSize + " bytes (truncated or not a safetensors file?)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw corrupted(path, "header is not valid JSON: " + e.getOriginalMessage());
            }
            if (header == null || !header.isObject()) {
                throw corrupted(path, "header is not a JSON object");
            }
            long dataStart = 8 + headerLength;
            long dataLength = fileSize - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (field.getKey().equals("__metadata__")) {
                    readMetadata(path, field.getValue(), metadata);
                } else {
                    tensors.put(field.getKey(), readTensor(path, field.getKey(), field.getValue(), dataLength));
                }
            }
            checkNoOverlap(path, tensors.values());
            return new SafetensorsFile(path, channel, dataStart, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "cannot read weights file " + path + ": " + e.getMessage(), e);
        }
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> into) {
        if (!node.isObject()) {
            throw corrupted(path, "__metadata__ is not an object");
        }
        node.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw corrupted(path, "__metadata__ value of '" + e.getKey() + "' is not a string");
            }
            into.put(e.getKey(), e.getValue().asText());
        });
    }

    private static TensorInfo readTensor(Path path, String name, JsonNode node, long dataLength) {
        if (!node.isObject()) {
            throw corrupted(path, "entry of tensor '" + name + "' is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        JsonNode shapeNode = node.get("shape");
        JsonNode offsetsNode = node.get("data_offsets");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw corrupted(path, "tensor '" + name + "' has no dtype");
        }
        DType dtype = DType.fromHeaderName(dtypeNode.asText()).orElseThrow(() -> new AssistantException(
                ErrorCode.MODEL_INVALID, "tensor '" + name + "' in " + path + " has dtype " + dtypeNode.asText()
                + ", which the SDK does not support (supported: F32, F16, BF16, I8)"));
        if (shapeNode == null || !shapeNode.isArray()) {
            throw corrupted(path, "tensor '" + name + "' has no shape");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw corrupted(path, "tensor '" + name + "' has an invalid shape " + shapeNode);
            }
            shape[i] = d.asLong();
        }
        if (offsetsNode == null || !offsetsNode.isArray() || offsetsNode.size() != 2
                || !offsetsNode.get(0).isIntegralNumber() || !offsetsNode.get(1).isIntegralNumber()) {
            throw corrupted(path, "tensor '" + name + "' has invalid data_offsets " + offsetsNode);
        }
        long begin = offsetsNode.get(0).asLong();
        long end = offsetsNode.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLength) {
            throw corrupted(path, "tensor '" + name + "' claims bytes [" + begin + ", " + end + ") but the data section has "
                    + dataLength + " bytes (file truncated or header lying)");
        }
        TensorInfo info = new TensorInfo(name, path, dtype, shape, begin, end);
        long expected;
        try {
            expected = Math.multiplyExact(info.elementCount(), dtype.bytes());
        } catch (ArithmeticException e) {
            throw corrupted(path, "tensor '" + name + "' has an impossibly large shape " + shapeNode);
        }
        if (expected != end - begin) {
            throw corrupted(path, "tensor '" + name + "' of " + dtype + info.shapeText() + " needs " + expected
                    + " bytes but its data_offsets span " + (end - begin));
        }
        return info;
    }

    private static void checkNoOverlap(Path path, java.util.Collection<TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end() && cur.byteLength() > 0 && prev.byteLength() > 0) {
                throw corrupted(path, "tensors '" + prev.name() + "' and '" + cur.name() + "' overlap");
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    private static AssistantException corrupted(Path path, String what) {
        return new AssistantException(ErrorCode.MODEL_CORRUPTED, "corrupted weights file " + path + ": " + what);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Already failing; the original error is the one worth reporting.
        }
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The string-to-string {@code __metadata__} map (empty if absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Maps the bytes of {@code tensor} read-only, little-endian. The buffer stays valid after this file is closed (the
     * mapping lives until the buffer is garbage collected), so callers may hand it to native code that keeps it.
     * Never hand the buffer to code that writes in place: the mapping is read-only.
     */
    public ByteBuffer map(TensorInfo tensor) {
        if (!tensor.file().equals(path) || tensors.get(tensor.name()) == null) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " is not in " + path);
        }
        if (tensor.byteLength() > Integer.MAX_VALUE) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + tensor.name() + "' in " + path
                    + " is larger than 2 GiB, which this SDK version cannot map");
        }
        try {
            if (tensor.byteLength() == 0) {
                return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + tensor.begin(), tensor.byteLength())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "cannot map tensor '" + tensor.name() + "' of " + path
                    + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
