package dev.assistant.cli;

import dev.assistant.core.Assistant;
import dev.assistant.core.AssistantBuilder;
import dev.assistant.core.demo.DemoModels;
import dev.assistant.core.demo.ModelShape;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

/** Options every model-running command shares. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "PATH",
            description = "HuggingFace model directory (config.json, *.safetensors, tokenizer.json) or a .gguf file. "
                    + "Default: the random-weights demo model.")
    Path model;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, f16 or int8 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--backend", defaultValue = "auto",
            description = "engine: auto (the best for the model, device and dtype), native or pytorch (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--engine-option", paramLabel = "KEY=VALUE", hidden = true,
            description = "engine-specific setting for comparisons, e.g. pytorch.layers=unfused (see README)")
    java.util.Map<String, String> engineOptions;

    @Option(names = "--threads", description = "native compute threads (default: cores, at most 4)")
    Integer threads;

    @Option(names = "--demo-shape", defaultValue = "smollm-135m-shape", hidden = true,
            description = "shape of the demo model: smollm-135m-shape, tinyllama-1.1b-shape, tiny")
    String demoShape;

    /** The model directory: the one given, or the demo model (written to the cache on first use). */
    Path resolve(PrintWriter err) {
        if (model != null) {
            return model;
        }
        ModelShape shape = ModelShape.byName(demoShape);
        err.println("No --model given: using the RANDOM-WEIGHTS DEMO model (" + shape.name() + ", "
                + shape.parameters() / 1_000_000 + "M parameters). It runs like a real model but answers with noise.");
        err.println("For real answers, point --model at a HuggingFace model directory, e.g. --model ~/models/SmolLM2-135M-Instruct");
        err.flush();
        return DemoModels.ensure(DemoModels.defaultCacheDir(), shape, DemoModels.DEFAULT_SEED);
    }

    Assistant open(PrintWriter err) {
        return configure(Assistant.builder(), err).build();
    }

    /** Sets the model, dtype, device, engine and threads on {@code b}. */
    AssistantBuilder configure(AssistantBuilder b, PrintWriter err) {
        b.modelPath(resolve(err)).dtype(dtype).device(device).backend(backend);
        if (engineOptions != null && !engineOptions.isEmpty()) {
            b.engineOptions(engineOptions);
        }
        if (threads != null) {
            b.threads(threads);
        }
        return b;
    }
}
