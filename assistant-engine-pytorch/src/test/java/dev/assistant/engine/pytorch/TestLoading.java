package dev.assistant.engine.pytorch;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.ModelDirectory;

/** Loads models as a host does, through the engine SPI (here both engines are on the classpath). */
final class TestLoading {
    private TestLoading() {
    }

    /** The engine auto picks: native for Llama on the CPU, this one for GPT-2. */
    static CausalLanguageModel load(ModelDirectory dir, LoadOptions options) {
        return EngineProviders.discover().load(dir, options);
    }

    /** On this engine, with {@code engineOptions} as key, value pairs. */
    static CausalLanguageModel pytorch(ModelDirectory dir, LoadOptions options, String... engineOptions) {
        LoadOptions.Builder b = options.toBuilder().backend(PyTorchEngineProvider.NAME);
        for (int i = 0; i < engineOptions.length; i += 2) {
            b.engineOption(engineOptions[i], engineOptions[i + 1]);
        }
        return EngineProviders.discover().load(dir, b.build());
    }
}
