package dev.assistant.core.registry;

import dev.assistant.core.Assistant;

import java.nio.file.Path;

/**
 * Opens an assistant for a model: the host's settings (device, dtype, security steps, metrics...) applied to a
 * name and a path. The registry calls it for the first load, for loads on demand after an idle unload, and for
 * every reload, so each version gets the same settings.
 */
@FunctionalInterface
public interface AssistantFactory {
    /**
     * @param name the model name requests use (give it to {@code AssistantBuilder.modelName})
     * @param path the model directory or file of the version to load
     */
    Assistant open(String name, Path path);
}
