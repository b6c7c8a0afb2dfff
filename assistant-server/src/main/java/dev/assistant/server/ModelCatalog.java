package dev.assistant.server;

import dev.assistant.core.Assistant;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** The assistants a server exposes, by model name ({@code Assistant.modelInfo().name()}). Thread-safe. */
final class ModelCatalog {
    private final ConcurrentSkipListMap<String, Assistant> models = new ConcurrentSkipListMap<>();

    void add(Assistant assistant) {
        String name = assistant.modelInfo().name();
        if (models.putIfAbsent(name, assistant) != null) {
            throw new IllegalArgumentException("a model named '" + name + "' is already served");
        }
    }

    Optional<Assistant> find(String name) {
        return Optional.ofNullable(models.get(name));
    }

    List<String> names() {
        return List.copyOf(models.keySet());
    }

    boolean isEmpty() {
        return models.isEmpty();
    }
}
