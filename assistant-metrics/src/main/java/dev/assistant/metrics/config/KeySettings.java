package dev.assistant.metrics.config;

import java.util.Map;

/**
 * Which key provider resolves the channels' key ids: its settings exactly as {@code KeyProviders.create} takes them
 * (default {@code {"provider":"env"}}) and the environment the keys were issued for ({@code dev}, {@code test},
 * {@code prod}). Read by whoever builds the credential source (the CLI, the host); names secrets, holds none.
 */
public record KeySettings(String environment, Map<String, String> settings) {
    public KeySettings {
        environment = environment == null ? "prod" : environment;
        settings = settings == null ? Map.of("provider", "env") : Map.copyOf(settings);
    }
}
