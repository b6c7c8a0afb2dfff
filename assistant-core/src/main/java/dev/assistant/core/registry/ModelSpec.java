package dev.assistant.core.registry;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One model a {@link ModelRegistry} serves: its name, where its files are, how to open it and what it is expected
 * to hold in memory once loaded.
 *
 * @param name          the name requests, policies ({@code model/<name>}) and metrics use
 * @param path          the model directory or file of the first version
 * @param factory       opens an assistant for a version
 * @param expectedBytes the memory a loaded version is expected to take (see {@link WeightFootprint}), checked
 *                      against the registry's memory limit
 */
public record ModelSpec(String name, Path path, AssistantFactory factory, long expectedBytes) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    public ModelSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(factory, "factory");
        if (!NAME.matcher(name).matches()) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "model name must be 1-128 characters of letters, "
                    + "digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
        if (expectedBytes < 0) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "expected bytes must be >= 0");
        }
    }

    /** A spec whose expected memory is estimated from the weights' headers, computed in float32. */
    public static ModelSpec of(String name, Path path, AssistantFactory factory) {
        return new ModelSpec(name, path, factory, WeightFootprint.estimate(path, false));
    }
}
