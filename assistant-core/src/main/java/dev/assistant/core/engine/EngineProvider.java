package dev.assistant.core.engine;

import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;

import java.util.List;

/**
 * An engine that can run models: found with {@link java.util.ServiceLoader} (a module registers its implementation
 * in {@code META-INF/services/dev.assistant.core.engine.EngineProvider}) and chosen per model by
 * {@link EngineProviders}: the provider that supports the model with the highest rank, or the one named by
 * {@link LoadOptions#backend()}.
 *
 * <p>Implementations need a public no-argument constructor and must be cheap to construct and to ask
 * {@link #support}: discovery constructs every provider on the classpath, including ones that will not be used.
 */
public interface EngineProvider {

    /** The short name a host chooses it by ({@code native}, {@code pytorch}): lower case, stable. */
    String name();

    /** One line for diagnostics: what the engine runs and on what. */
    String description();

    /**
     * Whether this engine can run a model of {@code config} with {@code options} in this process (device,
     * architecture, weight type, platform, whether its native libraries load), and how well. Reads no weights.
     */
    EngineSupport support(ModelConfig config, LoadOptions options);

    /**
     * Loads the model. Called only after {@link #support} said yes for the same config and options.
     *
     * @throws dev.assistant.api.AssistantException {@code MODEL_INVALID}/{@code MODEL_CORRUPTED} for bad files,
     *                                              {@code ENGINE_UNAVAILABLE} when the engine cannot run here
     */
    CausalLanguageModel load(ModelDirectory dir, LoadOptions options);

    /** Lines for {@code assistant doctor}: how the engine computes on this host (kernels, libraries). */
    default List<String> diagnostics() {
        return List.of();
    }
}
