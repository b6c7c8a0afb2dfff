package dev.assistant.server;

import dev.assistant.core.Assistant;
import dev.assistant.core.registry.ModelLease;
import dev.assistant.core.registry.ModelRegistry;
import dev.assistant.core.registry.ModelStatus;
import dev.assistant.server.openai.ApiError;
import dev.assistant.server.openai.ApiException;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The models a server exposes, by name: assistants added one by one (fixed for the server's life), and the models
 * of a {@link ModelRegistry}, whose versions can be reloaded and which may be unloaded when idle. Thread-safe.
 */
final class ModelCatalog {
    private final ConcurrentSkipListMap<String, Assistant> fixed = new ConcurrentSkipListMap<>();
    private volatile ModelRegistry registry;

    void add(Assistant assistant) {
        String name = assistant.modelInfo().name();
        ModelRegistry models = registry;
        if (models != null && models.contains(name) || fixed.putIfAbsent(name, assistant) != null) {
            throw new IllegalArgumentException("a model named '" + name + "' is already served");
        }
    }

    void use(ModelRegistry models) {
        Objects.requireNonNull(models, "models");
        if (registry != null) {
            throw new IllegalStateException("the server already serves a model registry");
        }
        for (String name : models.names()) {
            if (fixed.containsKey(name)) {
                throw new IllegalArgumentException("a model named '" + name + "' is already served");
            }
        }
        registry = models;
    }

    boolean contains(String name) {
        ModelRegistry models = registry;
        return fixed.containsKey(name) || models != null && models.contains(name);
    }

    /** The registry whose models can be reloaded, if the server has one. */
    Optional<ModelRegistry> registry() {
        return Optional.ofNullable(registry);
    }

    /**
     * The assistant for one request to {@code name}, held until the returned handle is closed (a registry model's
     * version is not freed under it), loading the model first if it was unloaded.
     *
     * @throws ApiException 404 for a name that is not served
     */
    Served serve(String name) {
        Assistant assistant = fixed.get(name);
        if (assistant != null) {
            return new Served(assistant, null, () -> {
            });
        }
        ModelRegistry models = registry;
        if (models == null || !models.contains(name)) {
            throw new ApiException(ApiError.modelNotFound(name));
        }
        ModelLease lease = models.lease(name);
        return new Served(lease.assistant(), lease.version().id(), lease::close);
    }

    /** Every model with its version and load state, by name. */
    List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        fixed.keySet().forEach(name -> out.add(new Entry(name, null, ModelStatus.State.LOADED)));
        ModelRegistry models = registry;
        if (models != null) {
            for (ModelStatus status : models.status()) {
                out.add(new Entry(status.name(), status.currentVersion().map(v -> v.id()).orElse(null),
                        status.state()));
            }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    Optional<Entry> entry(String name) {
        return entries().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    List<String> names() {
        return entries().stream().map(Entry::name).toList();
    }

    boolean isEmpty() {
        ModelRegistry models = registry;
        return fixed.isEmpty() && (models == null || models.names().isEmpty());
    }

    /**
     * An assistant serving one request.
     *
     * @param version the model version ({@code system_fingerprint}), or null when the server does not know it
     */
    record Served(Assistant assistant, String version, Runnable release) implements AutoCloseable {
        @Override
        public void close() {
            release.run();
        }
    }

    /** A served model as {@code /v1/models} lists it. */
    record Entry(String name, String version, ModelStatus.State state) {
    }
}
