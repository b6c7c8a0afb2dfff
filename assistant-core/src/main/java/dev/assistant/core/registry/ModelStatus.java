package dev.assistant.core.registry;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What a registry knows of one model at a moment.
 *
 * @param name     the model name
 * @param state    whether a version is loaded
 * @param version  the version serving new requests, or {@code null} when none is loaded
 * @param path     where the current (or next) version is loaded from
 * @param inFlight requests holding the current version
 * @param draining older versions still finishing requests after a reload
 */
public record ModelStatus(String name, State state, ModelVersion version, Path path, int inFlight, int draining) {
    public enum State {
        /** A version serves requests. */
        LOADED,
        /** A version is being loaded (first use, or after an idle unload). */
        LOADING,
        /** Nothing is loaded; the next request loads it. */
        UNLOADED
    }

    public Optional<ModelVersion> currentVersion() {
        return Optional.ofNullable(version);
    }
}
