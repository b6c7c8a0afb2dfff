package dev.assistant.core.model;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.gguf.GgufFile;
import dev.assistant.core.gguf.GgufModel;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A HuggingFace model directory (or a GGUF file, whose metadata stands for config.json), checked and read: its config, generation defaults and (optionally) verified
 * checksums. Weights are opened separately through {@link #openWeights()} because they hold file handles.
 */
public record ModelDirectory(Path path, ModelConfig config, GenerationDefaults generation) {

    /**
     * Reads {@code dir}.
     *
     * @param verifyChecksums verify {@code checksums.sha256}/{@code checksums.md5} when present
     * @throws AssistantException {@code MODEL_NOT_FOUND} when the directory does not exist, {@code MODEL_INVALID} or
     *                            {@code MODEL_CORRUPTED} when its files are wrong
     */
    public static ModelDirectory read(Path dir, boolean verifyChecksums) {
        if (Files.isRegularFile(dir)) {
            return readGguf(dir);
        }
        if (!Files.isDirectory(dir)) {
            throw new AssistantException(ErrorCode.MODEL_NOT_FOUND, "model directory not found: " + dir
                    + " (point it at a HuggingFace model directory with config.json, *.safetensors and tokenizer.json)");
        }
        Path configFile = dir.resolve("config.json");
        ModelConfig config = ModelConfig.parse(Json.read(configFile), configFile);
        if (verifyChecksums) {
            ChecksumManifest.find(dir).ifPresent(ChecksumManifest::verify);
        }
        return new ModelDirectory(dir, config, GenerationDefaults.read(dir, config));
    }

    private static ModelDirectory readGguf(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            ModelConfig config = ModelConfig.parse(GgufModel.of(gguf).configJson(), file);
            return new ModelDirectory(file, config, GenerationDefaults.read(file, config));
        }
    }

    /** Whether this model is a single GGUF file rather than a directory. */
    public boolean isGguf() {
        return Files.isRegularFile(path);
    }

    /**
     * Opens the weights and checks them against the config (see {@link WeightsMatchConfig}) before a caller sizes
     * anything from it.
     *
     * @throws AssistantException {@code MODEL_INVALID} naming the config field the weights contradict
     */
    public WeightStore openWeights() {
        WeightStore weights = WeightStore.open(path);
        try {
            WeightsMatchConfig.check(config, weights, isGguf() ? path : path.resolve("config.json"));
            return weights;
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** The name a model is known by when none is given: its directory name (a GGUF file's name without .gguf). */
    public String defaultName() {
        Path name = path.toAbsolutePath().normalize().getFileName();
        if (name == null) {
            return "model";
        }
        String text = name.toString();
        return isGguf() && text.endsWith(".gguf") ? text.substring(0, text.length() - 5) : text;
    }
}
