package dev.assistant.cli;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

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
                    + "Default: the random-weights demo model. serve takes it several times as NAME=PATH.")
    List<String> models = new ArrayList<>();

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, f16, int8 or q4 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--kv-cache", defaultValue = "f32",
            description = "KV cache type: f32 or int8 (int8: under half the memory per sequence, native engine only; "
                    + "default: ${DEFAULT-VALUE})")
    String kvCache;

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
        if (models.size() > 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--model is given " + models.size()
                    + " times; this command runs one model (serve runs several, as NAME=DIR)");
        }
        if (!models.isEmpty()) {
            return Path.of(models.get(0));
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

    /**
     * The models {@code serve} runs: each {@code --model} as {@code NAME=DIR} or a bare {@code DIR} (named
     * {@code defaultName}, else by its directory), or the demo model when none is given.
     */
    List<Named> named(String defaultName, PrintWriter err) {
        if (models.isEmpty()) {
            Path demo = resolve(err);
            return List.of(new Named(defaultName != null ? defaultName : demo.getFileName().toString(), demo));
        }
        List<Named> out = new ArrayList<>();
        for (String value : models) {
            int eq = value.indexOf('=');
            boolean named = eq > 0 && NAME.matcher(value.substring(0, eq)).matches() && !Files.exists(Path.of(value));
            Path path = Path.of(named ? value.substring(eq + 1) : value);
            String name = named ? value.substring(0, eq)
                    : models.size() == 1 && defaultName != null ? defaultName : defaultNameOf(path);
            out.add(new Named(name, path));
        }
        return out;
    }

    private static String defaultNameOf(Path path) {
        Path name = path.toAbsolutePath().normalize().getFileName();
        return name == null ? "model" : name.toString();
    }

    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    /** A model to serve: the name clients use and its directory. */
    record Named(String name, Path path) {
    }

    /** Sets the model, dtype, KV cache type, device, engine and threads on {@code b}. */
    AssistantBuilder configure(AssistantBuilder b, PrintWriter err) {
        return configure(b, resolve(err));
    }

    /** Sets {@code path} as the model, and the dtype, KV cache type, device, engine and threads, on {@code b}. */
    AssistantBuilder configure(AssistantBuilder b, Path path) {
        b.modelPath(path).dtype(dtype).kvCache(kvCache).device(device).backend(backend);
        if (engineOptions != null && !engineOptions.isEmpty()) {
            b.engineOptions(engineOptions);
        }
        if (threads != null) {
            b.threads(threads);
        }
        return b;
    }
}
