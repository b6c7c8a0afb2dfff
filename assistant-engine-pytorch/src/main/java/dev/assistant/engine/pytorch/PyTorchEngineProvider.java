package dev.assistant.engine.pytorch;

import dev.assistant.api.AssistantException;
import dev.assistant.core.djl.CudaProbe;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.DeviceSpec;
import dev.assistant.core.engine.EngineProvider;
import dev.assistant.core.engine.EngineSupport;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;

import java.util.List;
import java.util.Optional;

/**
 * The PyTorch engine ({@code pytorch}), libtorch through DJL: Llama-family, Qwen3, Gemma 2/3, Phi-3 and GPT-2 models on the CPU or CUDA,
 * float32 and INT8 (per-channel on fbgemm, per-group on the Java kernel). The engine for CUDA, GPT-2 and Gemma 2/3, and the
 * fallback for Llama, Qwen3 and Phi-3 on the CPU where the native engine is absent or cannot run (per-group INT8).
 *
 * <p>Process-wide effects, documented because a host shares them: libtorch's intra-op thread pool is one per
 * process, and loading a model sets its size ({@link LoadOptions#effectiveThreads()}, or 1 when INT8 runs on the
 * Java kernel's own threads); DJL is told to stay offline and send no telemetry ({@code ai.djl.offline},
 * {@code ai.djl.telemetry.disable}) unless the host set those properties itself.
 *
 * <p>Engine options: {@code pytorch.layers} = {@code fused} | {@code unfused}, {@code pytorch.int8} =
 * {@code fbgemm} | {@code java} (see {@link PyTorchSettings}).
 */
public final class PyTorchEngineProvider implements EngineProvider {
    public static final String NAME = "pytorch";

    private final LibtorchNatives natives;
    private final boolean ownLibrary;

    /** The provider for this JVM's platform and classpath (what {@link java.util.ServiceLoader} makes). */
    public PyTorchEngineProvider() {
        this(LibtorchNatives.here(), System.getenv("PYTORCH_LIBRARY_PATH") != null);
    }

    /** A provider judging {@code natives} (tests simulate other platforms with it). */
    PyTorchEngineProvider(LibtorchNatives natives, boolean ownLibrary) {
        this.natives = natives;
        this.ownLibrary = ownLibrary;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "libtorch through DJL: Llama, Qwen3, Gemma 2/3, Phi-3 and GPT-2 on CPU or CUDA, f32 and INT8";
    }

    @Override
    public EngineSupport support(ModelConfig config, LoadOptions options) {
        Optional<String> unknown = options.unknownEngineOption(NAME, PyTorchSettings.KEYS);
        if (unknown.isPresent()) {
            return EngineSupport.no(unknown.get());
        }
        if (options.kvCacheType() != KvCacheType.F32) {
            // checked before the natives: the answer does not depend on this host, and names the option to change
            return EngineSupport.no("stores KV caches as f32 only, not kvCacheType " + options.kvCacheType()
                    + " (--kv-cache " + options.kvCacheType() + " runs on the native engine: Llama on an x86-64 CPU)");
        }
        try {
            PyTorchSettings.of(options);
        } catch (AssistantException e) {
            return EngineSupport.no(e.getMessage());
        }
        if (options.weightType() == dev.assistant.core.engine.WeightType.Q4 || config.blockFormat().isPresent()) {
            return EngineSupport.no("computes f32 and INT8, not 4-bit weights (the native engine does)");
        }
        Optional<String> problem = natives.problem(ownLibrary);
        if (problem.isPresent()) {
            return EngineSupport.no(problem.get());
        }
        boolean cudaAsked = options.device().kind() == DeviceSpec.Kind.CUDA;
        if (cudaAsked || options.device().kind() == DeviceSpec.Kind.AUTO && natives.cuda()) {
            // CUDA is this engine's alone; whether a device is really there is checked at load
            return EngineSupport.yes(EngineSupport.DEVICE, config.architectureName() + " on "
                    + (cudaAsked ? options.device() : "CUDA if a device is visible (" + natives.flavor() + " build)"));
        }
        return EngineSupport.yes(switch (config.architecture()) {
            case GPT2, GEMMA2, GEMMA3 -> EngineSupport.PREFERRED;
            // the native engine runs these when it can (not per-group INT8)
            case LLAMA, QWEN3, PHI3 -> EngineSupport.FALLBACK;
        }, config.architectureName() + " on the CPU (libtorch " + natives.flavor() + ")");
    }

    @Override
    public CausalLanguageModel load(ModelDirectory dir, LoadOptions options) {
        CudaProbe.quietUnlessCudaLibtorch(); // before anything starts DJL's engine
        return DjlModelLoader.load(dir, options, PyTorchSettings.of(options));
    }

    /** Starts libtorch (a second or so) to say how INT8 and the layers compute here. */
    @Override
    public List<String> diagnostics() {
        Optional<String> problem = natives.problem(ownLibrary);
        if (problem.isPresent()) {
            return List.of("libtorch: unavailable (" + problem.get() + ")");
        }
        CudaProbe.quietUnlessCudaLibtorch(); // before the probes below start DJL's engine
        try {
            return List.of("libtorch: " + natives.flavor() + " build for " + natives.found(),
                    "INT8: " + DjlRuntime.int8ComputeDescription(), "layers: " + DjlRuntime.layersDescription());
        } catch (RuntimeException | LinkageError e) {
            return List.of("libtorch: does not start (" + e.getMessage() + ")");
        }
    }
}
