package dev.assistant.core.gguf;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One GGUF file (version 2 or 3, little-endian), opened read-only with a fully validated header: metadata
 * key/values, tensor infos and the aligned data section.
 *
 * <p>Every count, length and offset the header states is checked against the bytes that remain in the file before
 * anything is allocated or read, so a truncated or lying file fails with {@link ErrorCode#MODEL_CORRUPTED} naming
 * what is wrong, never with an {@code OutOfMemoryError} or an index exception. A tensor type the SDK cannot read is
 * {@link ErrorCode#MODEL_INVALID} naming it. Tensor bytes are memory-mapped on demand ({@link #map}).
 *
 * <p>Metadata values: integers of every width as {@link Long} (UINT64 above 2^63 refused), FLOAT32/FLOAT64 as
 * {@link Double}, BOOL as {@link Boolean}, STRING as {@link String}, ARRAY as an unmodifiable {@link List} of those.
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    static final int DEFAULT_ALIGNMENT = 32;
    /** ggml tensors have at most 4 dimensions. */
    static final int MAX_DIMS = 4;
    /** Nesting of arrays in metadata; real files never nest, a liar could recurse deeply. */
    private static final int MAX_ARRAY_DEPTH = 2;
    /** Longest metadata array read (vocabularies have a few hundred thousand entries); bounds the heap a liar costs. */
    static final long MAX_ARRAY_LENGTH = 1 << 24;

    private final Path path;
    private final FileChannel channel;
    private final int version;
    private final long dataStart;
    private final int alignment;
    private final Map<String, Object> metadata;
    private final Map<String, GgufTensor> tensors;

    private GgufFile(Path path, FileChannel channel, int version, long dataStart, int alignment,
                     Map<String, Object> metadata, Map<String, GgufTensor> tensors) {
        this.path = path;
        this.channel = channel;
        this.version = version;
        this.dataStart = dataStart;
        this.alignment = alignment;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /**
     * Opens and validates {@code path}.
     *
     * @throws AssistantException {@code MODEL_NOT_FOUND} if the file is missing, {@code MODEL_CORRUPTED} if its
     *                            header or layout is inconsistent, {@code MODEL_INVALID} for a tensor type the SDK
     *                            cannot read
     */
    public static GgufFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new AssistantException(ErrorCode.MODEL_NOT_FOUND, "GGUF file not found: " + path, e);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot open GGUF file " + path + ": " + e.getMessage(), e);
        }
        try {
            return parse(path, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** Whether {@code path} starts with the GGUF magic (without validating anything else). */
    public static boolean looksLikeGguf(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // fill
            }
            return !b.hasRemaining() && b.getInt(0) == MAGIC;
        } catch (IOException e) {
            return false;
        }
    }

    private static GgufFile parse(Path path, FileChannel channel) {
        Cursor in;
        try {
            in = new Cursor(path, channel, channel.size());
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "cannot read " + path + ": " + e.getMessage(), e);
        }
        if (in.fileSize < 24) {
            throw in.corrupted("file is " + in.fileSize + " bytes, too short for a GGUF header");
        }
        if (in.int32() != MAGIC) {
            throw in.corrupted("not a GGUF file (bad magic)");
        }
        int version = in.int32();
        if (version != 2 && version != 3) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "GGUF version " + Integer.toUnsignedString(version)
                    + " of " + path + " is not supported (2 and 3 are)");
        }
        long tensorCount = in.count("tensor count", 8 + 4 + 4 + 8 + 8);
        long kvCount = in.count("metadata key/value count", 8 + 4);

        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string("metadata key #" + i);
            GgufValueType type = in.valueType("metadata '" + key + "'");
            Object value = in.value(type, "metadata '" + key + "'", 0);
            if (metadata.put(key, value) != null) {
                throw in.corrupted("metadata key '" + key + "' appears twice");
            }
        }
        int alignment = DEFAULT_ALIGNMENT;
        Object alignValue = metadata.get("general.alignment");
        if (alignValue != null) {
            if (!(alignValue instanceof Long a) || a <= 0 || a > 1 << 20 || Long.bitCount(a) != 1) {
                throw in.corrupted("general.alignment " + alignValue + " is not a power of two between 1 and 2^20");
            }
            alignment = (int) (long) a;
        }

        List<GgufTensor> infos = new ArrayList<>();
        Map<String, GgufTensor> byName = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.string("name of tensor #" + i);
            long nDims = in.uint32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw in.corrupted("tensor '" + name + "' has " + nDims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            }
            long[] dims = new long[(int) nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = in.int64();
                if (dims[d] <= 0) {
                    throw in.corrupted("tensor '" + name + "' has dimension " + Long.toUnsignedString(dims[d]));
                }
            }
            long typeId = in.uint32();
            GgmlType type = GgmlType.byId(typeId).orElseThrow(() -> new AssistantException(ErrorCode.MODEL_INVALID,
                    "tensor '" + name + "' in " + path + " has GGML type " + GgmlType.describe(typeId)
                            + ", which this SDK does not read (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K are read)"));
            long offset = in.int64();
            long elements;
            try {
                elements = 1;
                for (long d : dims) {
                    elements = Math.multiplyExact(elements, d);
                }
            } catch (ArithmeticException e) {
                throw in.corrupted("tensor '" + name + "' has an impossibly large shape");
            }
            if (dims[0] % type.blockSize() != 0) {
                throw in.corrupted("tensor '" + name + "' of type " + type + " has rows of " + dims[0]
                        + " elements, not a multiple of its block size " + type.blockSize());
            }
            long byteSize;
            try {
                byteSize = Math.multiplyExact(elements / type.blockSize(), (long) type.typeSize());
            } catch (ArithmeticException e) {
                throw in.corrupted("tensor '" + name + "' has an impossibly large shape");
            }
            if (offset < 0 || offset % alignment != 0) {
                throw in.corrupted("tensor '" + name + "' has offset " + Long.toUnsignedString(offset)
                        + ", not a multiple of the alignment " + alignment);
            }
            GgufTensor t = new GgufTensor(name, type, dims, offset, byteSize);
            if (byName.put(name, t) != null) {
                throw in.corrupted("tensor '" + name + "' appears twice");
            }
            infos.add(t);
        }
        long headerEnd = in.position();
        long dataStart = (headerEnd + alignment - 1) / alignment * alignment;
        long dataSize = in.fileSize - dataStart;
        for (GgufTensor t : infos) {
            if (dataSize < 0 || t.offset() > dataSize || t.byteSize() > dataSize - t.offset()) {
                throw in.corrupted("tensor '" + t.name() + "' claims bytes [" + t.offset() + ", "
                        + (t.offset() + t.byteSize()) + ") of the data section, which has " + Math.max(0, dataSize)
                        + " bytes (file truncated?)");
            }
        }
        List<GgufTensor> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(GgufTensor::offset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensor prev = sorted.get(i - 1);
            GgufTensor cur = sorted.get(i);
            if (prev.offset() + prev.byteSize() > cur.offset()) {
                throw in.corrupted("tensors '" + prev.name() + "' and '" + cur.name() + "' overlap");
            }
        }
        return new GgufFile(path, channel, version, dataStart, alignment, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableMap(byName));
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute file offset of the data section. */
    public long dataStart() {
        return dataStart;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    /** Tensors in file order. */
    public Map<String, GgufTensor> tensors() {
        return tensors;
    }

    public Optional<GgufTensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** A string value, if {@code key} is present (MODEL_CORRUPTED if it is not a string). */
    public Optional<String> string(String key) {
        return typed(key, String.class, "a string");
    }

    /** An integer value, if present. */
    public Optional<Long> integer(String key) {
        return typed(key, Long.class, "an integer");
    }

    /** A float value (FLOAT32/FLOAT64; an integer is accepted too), if present. */
    public Optional<Double> number(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Double d) {
            return Optional.of(d);
        }
        if (v instanceof Long l) {
            return Optional.of(l.doubleValue());
        }
        throw wrongType(key, "a number");
    }

    public Optional<Boolean> bool(String key) {
        return typed(key, Boolean.class, "a boolean");
    }

    /** An array value whose elements are all of {@code elementType}, if present. */
    @SuppressWarnings("unchecked")
    public <T> Optional<List<T>> array(String key, Class<T> elementType) {
        Optional<List> list = typed(key, List.class, "an array");
        if (list.isPresent()) {
            for (Object o : list.get()) {
                if (!elementType.isInstance(o)) {
                    throw wrongType(key, "an array of " + elementType.getSimpleName());
                }
            }
        }
        return list.map(l -> (List<T>) l);
    }

    private <T> Optional<T> typed(String key, Class<T> type, String what) {
        Object v = metadata.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!type.isInstance(v)) {
            throw wrongType(key, what);
        }
        return Optional.of(type.cast(v));
    }

    private AssistantException wrongType(String key, String what) {
        return new AssistantException(ErrorCode.MODEL_CORRUPTED, "GGUF file " + path + ": metadata '" + key
                + "' is not " + what);
    }

    /**
     * Maps the bytes of {@code tensor} read-only, little-endian. Release the buffer with
     * {@code DirectBuffers.release} when done (see {@code TensorReader}).
     */
    public ByteBuffer map(GgufTensor tensor) {
        if (tensors.get(tensor.name()) != tensor && !tensor.equals(tensors.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " is not from " + path);
        }
        if (tensor.byteSize() > Integer.MAX_VALUE) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + tensor.name() + "' in " + path
                    + " is larger than 2 GiB, which this SDK cannot map in one piece");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + tensor.offset(), tensor.byteSize())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "cannot map tensor '" + tensor.name() + "' of "
                    + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + tensors.size() + " tensors]";
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was written
        }
    }

    /** Sequential little-endian reader over the header that never reads or allocates past the file's end. */
    private static final class Cursor {
        private final Path path;
        private final FileChannel channel;
        private final long fileSize;
        private final ByteBuffer window = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long windowStart;

        Cursor(Path path, FileChannel channel, long fileSize) {
            this.path = path;
            this.channel = channel;
            this.fileSize = fileSize;
            window.limit(0);
        }

        long position() {
            return windowStart + window.position();
        }

        long remaining() {
            return fileSize - position();
        }

        AssistantException corrupted(String what) {
            return new AssistantException(ErrorCode.MODEL_CORRUPTED, "corrupted GGUF file " + path + ": " + what);
        }

        private void need(int n, String what) {
            if (remaining() < n) {
                throw corrupted("file ends inside " + what + " (truncated?)");
            }
            if (window.remaining() < n) {
                long pos = position();
                window.clear();
                windowStart = pos;
                try {
                    while (window.position() < n) {
                        if (channel.read(window, pos + window.position()) < 0) {
                            throw corrupted("file ends inside " + what);
                        }
                    }
                } catch (IOException e) {
                    throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "cannot read " + path + ": " + e.getMessage(), e);
                }
                window.flip();
            }
        }

        int int32() {
            need(4, "the header");
            return window.getInt();
        }

        long uint32() {
            need(4, "the header");
            return Integer.toUnsignedLong(window.getInt());
        }

        long int64() {
            need(8, "the header");
            return window.getLong();
        }

        /** A count of items of at least {@code minBytes} each, checked to fit in what remains of the file. */
        long count(String what, int minBytes) {
            long n = int64();
            if (n < 0 || n > remaining() / minBytes) {
                throw corrupted(what + " " + Long.toUnsignedString(n) + " cannot fit in the " + remaining()
                        + " bytes that remain");
            }
            return n;
        }

        GgufValueType valueType(String what) {
            long id = uint32();
            GgufValueType type = GgufValueType.byId(id);
            if (type == null) {
                throw corrupted(what + " has unknown value type " + id);
            }
            return type;
        }

        String string(String what) {
            long length = int64();
            if (length < 0 || length > remaining()) {
                throw corrupted(what + ": string length " + Long.toUnsignedString(length) + " exceeds the "
                        + remaining() + " bytes that remain");
            }
            if (length > window.capacity()) {
                // only huge metadata strings (a chat template) take this path; bounded by the file size
                if (length > Integer.MAX_VALUE - 16) {
                    throw corrupted(what + ": string of " + length + " bytes is too long");
                }
                ByteBuffer big = ByteBuffer.allocate((int) length);
                long pos = position();
                try {
                    while (big.hasRemaining()) {
                        if (channel.read(big, pos + big.position()) < 0) {
                            throw corrupted("file ends inside " + what);
                        }
                    }
                } catch (IOException e) {
                    throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "cannot read " + path + ": " + e.getMessage(), e);
                }
                window.clear().limit(0);
                windowStart = pos + length;
                big.flip();
                return decode(big, what);
            }
            need((int) length, what);
            ByteBuffer slice = window.slice().limit((int) length);
            window.position(window.position() + (int) length);
            return decode(slice, what);
        }

        private String decode(ByteBuffer bytes, String what) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
            } catch (CharacterCodingException e) {
                throw corrupted(what + " is not valid UTF-8");
            }
        }

        Object value(GgufValueType type, String what, int depth) {
            return switch (type) {
                case UINT8 -> {
                    need(1, what);
                    yield (long) Byte.toUnsignedInt(window.get());
                }
                case INT8 -> {
                    need(1, what);
                    yield (long) window.get();
                }
                case UINT16 -> {
                    need(2, what);
                    yield (long) Short.toUnsignedInt(window.getShort());
                }
                case INT16 -> {
                    need(2, what);
                    yield (long) window.getShort();
                }
                case UINT32 -> uint32();
                case INT32 -> (long) int32();
                case FLOAT32 -> {
                    need(4, what);
                    yield (double) window.getFloat();
                }
                case BOOL -> {
                    need(1, what);
                    byte b = window.get();
                    if (b != 0 && b != 1) {
                        throw corrupted(what + " is a boolean of value " + b);
                    }
                    yield b == 1;
                }
                case STRING -> string(what);
                case UINT64 -> {
                    long v = int64();
                    if (v < 0) {
                        throw corrupted(what + " " + Long.toUnsignedString(v) + " is out of range");
                    }
                    yield v;
                }
                case INT64 -> int64();
                case FLOAT64 -> {
                    need(8, what);
                    yield window.getDouble();
                }
                case ARRAY -> array(what, depth);
            };
        }

        private List<Object> array(String what, int depth) {
            if (depth >= MAX_ARRAY_DEPTH) {
                throw corrupted(what + " nests arrays more than " + MAX_ARRAY_DEPTH + " deep");
            }
            GgufValueType elementType = valueType(what + " (array element type)");
            long n = count(what + ": array length", elementType.minimumBytes());
            if (n > MAX_ARRAY_LENGTH) {
                throw corrupted(what + ": array of " + n + " elements is longer than the " + MAX_ARRAY_LENGTH + " allowed");
            }
            List<Object> values = new ArrayList<>((int) Math.min(n, 1 << 16));
            for (long i = 0; i < n; i++) {
                values.add(value(elementType, what + "[" + i + "]", depth + 1));
            }
            return Collections.unmodifiableList(values);
        }
    }
}
