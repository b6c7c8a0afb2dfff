package dev.assistant.engine.cpu;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.DeviceSpec;
import dev.assistant.core.engine.EngineProvider;
import dev.assistant.core.engine.EngineSupport;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.Int8Weights;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.quant.QuantScheme;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The native CPU engine ({@code native}): Llama-family models, float32 (F16/BF16 files converted at load) and
 * per-channel INT8, one native call per forward pass. Needs no libtorch. Its compute threads are its own (a pool of
 * {@link LoadOptions#effectiveThreads()} threads per model, stopped by {@code close()}); it changes no process-wide
 * setting.
 *
 * <p>Engine option {@code native.kernels}: {@code avx512} (default: the widest the CPU runs), {@code avx2} or
 * {@code x86-64}, to compare kernels on one machine.
 */
public final class NativeEngineProvider implements EngineProvider {
    public static final String NAME = "native";
    static final String KERNELS_OPTION = "native.kernels";

    private final java.util.function.Supplier<Optional<String>> libraryProblem;

    /** The provider for this process: its library is loaded on the first support check. */
    public NativeEngineProvider() {
        this(NativeLlamaLayers::unavailableBecause);
    }

    /** A provider whose library is judged by {@code libraryProblem} (tests simulate a platform without it). */
    NativeEngineProvider(java.util.function.Supplier<Optional<String>> libraryProblem) {
        this.libraryProblem = libraryProblem;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "native CPU forward pass for the Llama family, Qwen3 and Phi-3 (f32, per-channel INT8; f32 or int8 KV "
                + "cache), no libtorch";
    }

    @Override
    public EngineSupport support(ModelConfig config, LoadOptions options) {
        Optional<String> unknown = options.unknownEngineOption(NAME, Set.of(KERNELS_OPTION));
        if (unknown.isPresent()) {
            return EngineSupport.no(unknown.get());
        }
        String kernels = options.engineOption(KERNELS_OPTION, NativeLlamaLayers.KERNELS.get(0));
        if (!NativeLlamaLayers.KERNELS.contains(kernels)) {
            return EngineSupport.no(KERNELS_OPTION + " must be one of " + NativeLlamaLayers.KERNELS + ", not " + kernels);
        }
        boolean phi3 = config.architecture() == Architecture.PHI3;
        if (config.architecture() != Architecture.LLAMA && config.architecture() != Architecture.QWEN3 && !phi3) {
            return EngineSupport.no("runs the Llama family, Qwen3 and Phi-3 only, not " + config.architectureName());
        }
        if (phi3 && config.ropeScaling().longRope() != null) {
            return EngineSupport.no("has no LongRoPE (rope_scaling " + config.ropeScaling().type() + ") for Phi-3");
        }
        if (phi3 && Int8Weights.schemeFor(config, options).isPresent()) {
            return EngineSupport.no("runs Phi-3 in f32 only (its INT8 layers read q, k, v apart)");
        }
        if (options.device().kind() == DeviceSpec.Kind.CUDA) {
            return EngineSupport.no("runs on the CPU only, not " + options.device());
        }
        QuantScheme scheme = Int8Weights.schemeFor(config, options).orElse(null);
        if (scheme != null && scheme.groupSize() != 0) {
            return EngineSupport.no("computes per-channel INT8 only, not " + scheme.name()
                    + " (the pytorch engine's Java kernel does)");
        }
        Optional<String> unavailable = libraryProblem.get();
        if (unavailable.isPresent()) {
            return EngineSupport.no("its native library does not load here: " + unavailable.get());
        }
        String family = phi3 ? "Phi-3" : config.architecture() == Architecture.QWEN3 ? "Qwen3" : "Llama";
        return EngineSupport.yes(EngineSupport.PREFERRED, family + " on the CPU, " + (scheme == null ? "f32" : "int8")
                + " weights, " + options.kvCacheType() + " KV cache, " + NativeLlamaLayers.kernelsHere(kernels)
                + " kernels, " + options.effectiveThreads()
                + " threads");
    }

    @Override
    public CausalLanguageModel load(ModelDirectory dir, LoadOptions options) {
        return NativeLlamaLoader.load(dir, options,
                options.engineOption(KERNELS_OPTION, NativeLlamaLayers.KERNELS.get(0)));
    }

    @Override
    public List<String> diagnostics() {
        Optional<String> unavailable = NativeLlamaLayers.unavailableBecause();
        return List.of(unavailable.map(reason -> "native library: not loaded (" + reason + ")")
                .orElseGet(() -> "native library: loaded, " + NativeLlamaLayers.kernelsHere(
                        NativeLlamaLayers.KERNELS.get(0)) + " kernels"));
    }
}
