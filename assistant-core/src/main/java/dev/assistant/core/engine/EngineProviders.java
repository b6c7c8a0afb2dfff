package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The engines on the classpath and the choice among them for a model: the one named by {@link LoadOptions#backend()},
 * or else the supporting one of highest rank (ties go to the name first in alphabetical order, so a choice never
 * depends on classpath order). Immutable.
 */
public final class EngineProviders {
    private static final Logger LOG = LoggerFactory.getLogger(EngineProviders.class);

    private final List<EngineProvider> providers;
    private final List<String> brokenProviders;

    private EngineProviders(List<EngineProvider> providers, List<String> brokenProviders) {
        this.providers = List.copyOf(providers);
        this.brokenProviders = List.copyOf(brokenProviders);
    }

    /**
     * The providers registered under {@code META-INF/services} and visible to the thread's context class loader (or
     * this library's, when there is none). A provider that fails to instantiate is left out and reported by
     * {@link #brokenProviders()}.
     */
    public static EngineProviders discover() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = EngineProvider.class.getClassLoader();
        }
        List<EngineProvider> found = new ArrayList<>();
        List<String> broken = new ArrayList<>();
        Iterator<EngineProvider> it = ServiceLoader.load(EngineProvider.class, loader).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                broken.add(e.getMessage());
            }
        }
        found.sort(Comparator.comparing(EngineProvider::name));
        return new EngineProviders(found, broken);
    }

    /** Exactly {@code providers}, for hosts and tests that assemble engines themselves. */
    public static EngineProviders of(List<? extends EngineProvider> providers) {
        List<EngineProvider> sorted = new ArrayList<>(providers);
        sorted.sort(Comparator.comparing(EngineProvider::name));
        return new EngineProviders(sorted, List.of());
    }

    public List<EngineProvider> providers() {
        return providers;
    }

    /** Registrations that could not be instantiated, as the service loader described them. */
    public List<String> brokenProviders() {
        return brokenProviders;
    }

    /** The provider called {@code name}, if present. */
    public Optional<EngineProvider> named(String name) {
        return providers.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** One provider's answer for a model. */
    public record Verdict(EngineProvider provider, EngineSupport support) {
    }

    /**
     * What every provider answered and which one is chosen (empty when none can run the model).
     *
     * @param verdicts every provider's answer, best first
     * @param chosen   the provider that would load the model
     * @param asked    the backend asked for ({@code auto} for a choice by rank)
     */
    public record Selection(List<Verdict> verdicts, Optional<EngineProvider> chosen, String asked) {

        /** Why the choice is what it is, in one sentence per provider. */
        public String explanation() {
            if (verdicts.isEmpty()) {
                return "no engine is on the classpath: add io.github.assistant-sdk:assistant-engine-native (Llama on the CPU, "
                        + "no libtorch) and/or io.github.assistant-sdk:assistant-engine-pytorch with libtorch's natives "
                        + "(or io.github.assistant-sdk:assistant-sdk for both)";
            }
            return verdicts.stream().map(v -> v.provider().name() + ": "
                            + (v.support().supported() ? "can run it (rank " + v.support().rank() + "), " : "cannot, ")
                            + v.support().reason())
                    .collect(Collectors.joining("; "));
        }
    }

    /** Asks every provider about a model of {@code config} loaded with {@code options}; loads nothing. */
    public Selection select(ModelConfig config, LoadOptions options) {
        String asked = options.backend();
        List<Verdict> verdicts = new ArrayList<>();
        for (EngineProvider provider : providers) {
            verdicts.add(new Verdict(provider, ask(provider, config, options)));
        }
        verdicts.sort(Comparator.comparing((Verdict v) -> -v.support().rank())
                .thenComparing(v -> v.provider().name()));
        Optional<EngineProvider> chosen;
        if (LoadOptions.AUTO_BACKEND.equals(asked)) {
            chosen = verdicts.stream().filter(v -> v.support().supported()).map(Verdict::provider).findFirst();
        } else {
            chosen = verdicts.stream().filter(v -> v.provider().name().equals(asked) && v.support().supported())
                    .map(Verdict::provider).findFirst();
        }
        return new Selection(List.copyOf(verdicts), chosen, asked);
    }

    private static EngineSupport ask(EngineProvider provider, ModelConfig config, LoadOptions options) {
        try {
            return provider.support(config, options);
        } catch (RuntimeException | LinkageError e) {
            return EngineSupport.no("its support check failed: " + e);
        }
    }

    /**
     * Loads {@code dir} with the chosen engine.
     *
     * @throws AssistantException {@code ENGINE_UNAVAILABLE} naming every engine's reason when none can run the
     *                            model (or the one asked for cannot); the engine's own errors otherwise
     */
    public CausalLanguageModel load(ModelDirectory dir, LoadOptions options) {
        return loadWithEngine(dir, options).model();
    }

    /** A loaded model and the name of the engine that loaded it. */
    public record Loaded(String engine, CausalLanguageModel model) {
    }

    /** As {@link #load}, also saying which engine was chosen. */
    public Loaded loadWithEngine(ModelDirectory dir, LoadOptions options) {
        Selection selection = select(dir.config(), options);
        EngineProvider provider = selection.chosen().orElseThrow(() -> unavailable(dir, selection));
        LOG.info("engine '{}' loads {} ({})", provider.name(), dir.path(), selection.explanation());
        CausalLanguageModel model = provider.load(dir, options);
        if (model.kvCacheType() != options.kvCacheType()) {
            // an engine that said yes but ignored the option: refuse rather than run with another cache than asked
            model.close();
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "engine '" + provider.name() + "' loaded "
                    + dir.path() + " with a " + model.kvCacheType() + " KV cache, but kvCacheType "
                    + options.kvCacheType() + " was asked for");
        }
        return new Loaded(provider.name(), model);
    }

    private AssistantException unavailable(ModelDirectory dir, Selection selection) {
        String asked = selection.asked();
        String head;
        if (LoadOptions.AUTO_BACKEND.equals(asked)) {
            head = "no engine can run " + dir.path() + " (" + dir.config().architectureName() + ")";
        } else if (named(asked).isEmpty()) {
            head = "backend '" + asked + "' is not on the classpath (present: "
                    + (providers.isEmpty() ? "none" : providers.stream().map(EngineProvider::name)
                    .collect(Collectors.joining(", "))) + ")";
        } else {
            head = "backend '" + asked + "' cannot run " + dir.path();
        }
        String broken = brokenProviders.isEmpty() ? "" : "; registrations that failed: " + brokenProviders;
        return new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, head + ": " + selection.explanation() + broken);
    }
}
