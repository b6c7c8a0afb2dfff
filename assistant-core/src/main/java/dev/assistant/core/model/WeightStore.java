package dev.assistant.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.gguf.GgufFile;
import dev.assistant.core.gguf.GgufModel;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.SafetensorsFile;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.BlockMatrix;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * All tensors of a model directory, from {@code model.safetensors} or the shards listed in
 * {@code model.safetensors.index.json}, or of a GGUF file (converted to float32 under the HuggingFace names as each
 * tensor is read, see {@link GgufModel}), looked up by name.
 */
public final class WeightStore implements AutoCloseable {
    private final Map<Path, SafetensorsFile> files;
    private final Map<String, TensorInfo> tensors;
    /** Set instead of {@link #files} when the weights come from a GGUF file. */
    private final GgufModel gguf;
    private final Path source;

    private WeightStore(Map<Path, SafetensorsFile> files, Map<String, TensorInfo> tensors, GgufModel gguf, Path source) {
        this.files = files;
        this.tensors = tensors;
        this.gguf = gguf;
        this.source = source;
    }

    /**
     * Opens the weights of {@code dir} (a model directory, or a {@code .gguf} file), validating every file header.
     */
    public static WeightStore open(Path dir) {
        if (Files.isRegularFile(dir)) {
            GgufFile file = GgufFile.open(dir);
            try {
                GgufModel model = GgufModel.of(file);
                return new WeightStore(Map.of(), model.tensors(), model, dir);
            } catch (RuntimeException e) {
                file.close();
                throw e;
            }
        }
        Path single = dir.resolve("model.safetensors");
        Path index = dir.resolve("model.safetensors.index.json");
        Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        try {
            if (Files.isRegularFile(single)) {
                addFile(files, tensors, single);
            } else if (Files.isRegularFile(index)) {
                JsonNode root = Json.read(index);
                JsonNode map = root.get("weight_map");
                if (map == null || !map.isObject()) {
                    throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "invalid " + index + ": no weight_map object");
                }
                Map<String, String> expectedShard = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String shard = e.getValue().asText();
                    if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")
                            || shard.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                        throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "invalid " + index + ": shard name '" + shard
                                + "' of tensor '" + e.getKey() + "' is not a plain file name");
                    }
                    expectedShard.put(e.getKey(), shard);
                    Path shardPath = dir.resolve(shard);
                    if (!files.containsKey(shardPath)) {
                        addFile(files, tensors, shardPath);
                    }
                }
                for (Map.Entry<String, String> e : expectedShard.entrySet()) {
                    TensorInfo t = tensors.get(e.getKey());
                    if (t == null || !t.file().getFileName().toString().equals(e.getValue())) {
                        throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "tensor '" + e.getKey() + "' is listed in "
                                + index + " under " + e.getValue() + " but that file does not contain it");
                    }
                }
            } else {
                throw new AssistantException(ErrorCode.MODEL_INVALID, "no weights in " + dir
                        + ": expected model.safetensors or model.safetensors.index.json");
            }
        } catch (RuntimeException e) {
            files.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new WeightStore(files, Collections.unmodifiableMap(tensors), null, dir);
    }

    private static void addFile(Map<Path, SafetensorsFile> files, Map<String, TensorInfo> tensors, Path path) {
        SafetensorsFile file = SafetensorsFile.open(path);
        files.put(path, file);
        for (TensorInfo t : file.tensors().values()) {
            TensorInfo previous = tensors.put(t.name(), t);
            if (previous != null) {
                throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "tensor '" + t.name() + "' appears in both "
                        + previous.file() + " and " + path);
            }
        }
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** Metadata of the first (or only) safetensors file; empty for GGUF. */
    public Map<String, String> metadata() {
        return gguf != null ? Map.of() : files.values().iterator().next().metadata();
    }

    /**
     * The tensor {@code name}, checked to have {@code expectedShape}.
     *
     * @throws AssistantException {@code MODEL_INVALID} naming the tensor, its file and both shapes
     */
    public TensorInfo require(String name, long... expectedShape) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "missing tensor '" + name + "' in the weights of "
                    + this);
        }
        if (!Arrays.equals(t.shape(), expectedShape)) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + name + "' in " + t.file() + " has shape "
                    + t.shapeText() + " but " + (gguf != null ? "its metadata implies " : "config.json implies ") + Arrays.toString(expectedShape));
        }
        return t;
    }

    /** Maps the bytes of {@code tensor} read-only (see {@link SafetensorsFile#map}). */
    public ByteBuffer map(TensorInfo tensor) {
        return gguf != null ? gguf.floatBytes(tensor) : files.get(tensor.file()).map(tensor);
    }

    /**
     * Tensor {@code name} as stored in a group-32 block format (a GGUF Q4_0 or Q8_0 tensor, or a safetensors tensor
     * written by {@code assistant quantize --dtype q4}), checked to be [rows, cols]; empty when it is stored otherwise.
     */
    public Optional<BlockMatrix> blocks(String name, int rows, int cols) {
        if (gguf != null) {
            return gguf.blocks(require(name, rows, cols));
        }
        return StoredBlocks.read(this, name, rows, cols);
    }

    /**
     * The bytes of {@code tensor} when an engine computing block formats keeps it as stored ({@link #blocks}: a GGUF
     * Q4_0/Q8_0 matrix, or a U8 tensor of {@code assistant quantize --dtype q4}), from the headers alone; empty when
     * it is stored as numbers.
     */
    public java.util.OptionalLong storedBlockBytes(TensorInfo tensor) {
        if (gguf != null) {
            return gguf.storedBlockBytes(tensor);
        }
        return tensor.dtype() == DType.U8 ? java.util.OptionalLong.of(tensor.byteLength())
                : java.util.OptionalLong.empty();
    }

    /** The directory the weights are in (the file, for GGUF). */
    @Override
    public String toString() {
        return String.valueOf(source.toAbsolutePath());
    }

    @Override
    public void close() {
        files.values().forEach(SafetensorsFile::close);
        if (gguf != null) {
            gguf.file().close();
        }
    }
}
