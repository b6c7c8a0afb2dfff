package dev.assistant.engine.cpu;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.DeviceSpec;
import dev.assistant.core.engine.EngineProvider;
import dev.assistant.core.engine.EngineSupport;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.BlockWeights;
import dev.assistant.core.model.Int8Weights;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.quant.QuantScheme;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The native CPU engine ({@code native}): Llama-family, Qwen3, Gemma 2/3 and Phi-3 models (LongRoPE included),
 * float32 (F16/BF16 files converted at load), per-channel INT8 and Q4_0/Q8_0 blocks, one native call per forward
 * pass. Needs no libtorch. Its compute threads are its own (a pool of
 * {@link LoadOptions#effectiveThreads()} threads per model, stopped by {@code close()}); it changes no process-wide
 * setting.
 *
 * <p>Engine option {@code native.kernels}: {@code avx512} (default: the widest the CPU runs), {@code avx2} or
 * {@code x86-64}, to compare kernels on one machine. {@code native.activations}: how INT8 products quantize their
 * activations ({@link ActivationPrecision}).
 */
public final class NativeEngineProvider implements EngineProvider {
    public static final String NAME = "native";
    static final String KERNELS_OPTION = "native.kernels";
    /**
     * With dtype q4: the format of the embedding table and the output head, {@code q4_0} (default, as llama.cpp's
     * Q4_0 files of a tied model hold them), {@code q8_0} (closer logits) or {@code f32}.
     */
    static final String HEAD_OPTION = "native.head";
    /** With INT8 weights: {@link ActivationPrecision} {@code int8} (default) or {@code int16}. */
    public static final String ACTIVATIONS_OPTION = "native.activations";

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
        return "native CPU forward pass for the Llama family, Qwen3, Gemma 2/3 and Phi-3 with LongRoPE (f32, "
                + "per-channel INT8, Q4_0/Q4_1/Q4_K/Q8_0 blocks; f32 or int8 KV cache), no libtorch";
    }

    @Override
    public EngineSupport support(ModelConfig config, LoadOptions options) {
        Optional<String> unknown = options.unknownEngineOption(NAME, Set.of(KERNELS_OPTION, HEAD_OPTION,
                ACTIVATIONS_OPTION));
        if (unknown.isPresent()) {
            return EngineSupport.no(unknown.get());
        }
        String kernels = options.engineOption(KERNELS_OPTION, NativeLlamaLayers.KERNELS.get(0));
        if (!NativeLlamaLayers.KERNELS.contains(kernels)) {
            return EngineSupport.no(KERNELS_OPTION + " must be one of " + NativeLlamaLayers.KERNELS + ", not " + kernels);
        }
        boolean phi3 = config.architecture() == Architecture.PHI3;
        boolean gemma = config.gemma2Settings().isPresent();
        if (config.architecture() != Architecture.LLAMA && config.architecture() != Architecture.QWEN3 && !phi3
                && !gemma) {
            return EngineSupport.no("runs the Llama family, Qwen3, Gemma 2/3 and Phi-3 only, not "
                    + config.architectureName());
        }
        if (gemma && !Set.of("none", "linear", "llama3").contains(config.ropeScaling().type())) {
            return EngineSupport.no("has no rope_scaling " + config.ropeScaling().type() + " for Gemma");
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
        String head = options.engineOption(HEAD_OPTION, "q4_0");
        if (!Set.of("q8_0", "q4_0", "f32").contains(head)) {
            return EngineSupport.no(HEAD_OPTION + " must be q8_0, q4_0 or f32, not " + head);
        }
        String activations = options.engineOption(ACTIVATIONS_OPTION, ActivationPrecision.INT8.optionValue());
        if (ActivationPrecision.of(activations).isEmpty()) {
            return EngineSupport.no(ActivationPrecision.problem(activations));
        }
        boolean q4 = scheme == null && BlockWeights.targetFor(config, options).isPresent();
        String type = scheme != null ? "int8 (" + activations + " activations)" : q4 ? "q4" : "f32";
        if (q4) {
            type = "q4 (linear layers Q4_0, table and head " + (config.blockFormat().isPresent() ? "as stored" : head)
                    + ", about " + q4WeightBytes(config, head) / 1_000_000 + " MB of weights)";
        }
        String family = switch (config.architecture()) {
            case PHI3 -> "Phi-3";
            case QWEN3 -> "Qwen3";
            case GEMMA2 -> "Gemma 2";
            case GEMMA3 -> "Gemma 3";
            default -> "Llama";
        };
        return EngineSupport.yes(EngineSupport.PREFERRED, family + " on the CPU, " + type
                + " weights, " + options.kvCacheType() + " KV cache, " + NativeLlamaLayers.kernelsHere(kernels)
                + " kernels, " + options.effectiveThreads()
                + " threads");
    }

    /** The weight bytes dtype q4 gives a model of {@code c} (as the load log reports them once loaded). */
    static long q4WeightBytes(ModelConfig c, String head) {
        long hidden = c.hiddenSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long ffn = c.intermediateSize();
        long perLayer = bytes(q + 2 * kv, hidden, "q4_0") + bytes(hidden, q, "q4_0") + bytes(2 * ffn, hidden, "q4_0")
                + bytes(hidden, ffn, "q4_0") + 2 * hidden * Float.BYTES;
        long tables = (c.tieWordEmbeddings() ? 1 : 2) * bytes(c.vocabSize(), hidden, head);
        return c.numLayers() * perLayer + tables + hidden * Float.BYTES;
    }

    /** Bytes of an [out, in] matrix in {@code format}; float32 where rows are not whole groups of 32. */
    private static long bytes(long out, long in, String format) {
        if (format.equals("f32") || in % 32 != 0) {
            return out * in * Float.BYTES;
        }
        return out * (in / 32) * (format.equals("q4_0") ? 18 : 34);
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
