package dev.assistant.core.engine.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.WeightStore;
import dev.assistant.quant.Int8Kernel;
import dev.assistant.quant.Int8Kernels;
import dev.assistant.quant.ParallelInt8Kernel;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Loads a {@link ModelDirectory} onto DJL's PyTorch engine: maps the weights, checks every tensor against
 * config.json and builds the architecture's layers.
 */
public final class DjlModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(DjlModelLoader.class);

    /** System property that makes INT8 layers use the Java kernel even where fbgemm could serve them. */
    static final String JAVA_KERNEL_PROPERTY = "assistant.int8.javaKernel";
    /** System property that keeps Llama layers as separate DJL operations (for comparison with one call each). */
    static final String UNFUSED_LAYERS_PROPERTY = "assistant.unfusedLayers";
    /** System property that, set to {@code false}, keeps Llama layers in libtorch rather than the native library. */
    static final String NATIVE_LAYERS_PROPERTY = "assistant.nativeLayers";
    private static final AtomicBoolean NATIVE_WARNED = new AtomicBoolean();
    private static final AtomicBoolean FBGEMM_WARNED = new AtomicBoolean();

    private DjlModelLoader() {
    }

    /**
     * Loads the model.
     *
     * @throws AssistantException {@code MODEL_INVALID}/{@code MODEL_CORRUPTED} for bad files,
     *                            {@code ENGINE_UNAVAILABLE} when the device cannot be used
     */
    public static CausalLanguageModel load(ModelDirectory dir, LoadOptions options) {
        Device device = DjlRuntime.resolve(options.device());
        QuantScheme scheme = int8Scheme(dir, options).orElse(null);
        boolean fbgemm = scheme != null && usesFbgemm(scheme, device);
        boolean nativeLayers = dir.config().architecture() == Architecture.LLAMA
                && !Boolean.getBoolean(UNFUSED_LAYERS_PROPERTY) && nativeLayersServe(scheme, device);
        // Native layers and the Java INT8 kernel compute the large products on threads of their own; libtorch then
        // only does small work, and a second pool of spinning OpenMP threads would compete with them for cores.
        DjlRuntime.setThreads(nativeLayers || scheme != null && !fbgemm ? 1 : options.effectiveThreads());
        long start = System.nanoTime();
        NDManager weights = NDManager.newBaseManager(device, "PyTorch");
        try (WeightStore store = dir.openWeights()) {
            TensorLoader loader = new TensorLoader(store, weights, device);
            LayerFactory linears = layerFactory(dir, options, scheme, fbgemm, nativeLayers, loader, weights);
            DjlCausalModel model = switch (dir.config().architecture()) {
                case LLAMA -> loadLlama(dir.config(), loader, linears, weights, nativeLayers,
                        options.effectiveThreads());
                case GPT2 -> loadGpt2(dir.config(), store, loader, linears, weights);
            };
            model.weightBytes = loader.bytesLoaded() + linears.extraBytes() + model.nativeWeightBytes();
            weights.cap(); // any later attachment to the weights' manager would be a leak: make it fail instead
            LOG.info("loaded {} ({}, {} layers, {} on {}) in {} ms", dir.path(), dir.config().architectureName(),
                    dir.config().numLayers(), linears.computeType(), device, (System.nanoTime() - start) / 1_000_000);
            return model;
        } catch (RuntimeException e) {
            weights.close();
            if (e instanceof AssistantException) {
                throw e;
            }
            throw new AssistantException(ErrorCode.MODEL_INVALID, "cannot load " + dir.path() + ": " + e.getMessage(), e);
        }
    }

    /**
     * float32 when {@code scheme} is null, else INT8 layers in {@code scheme} (see {@link #int8Scheme}), on fbgemm
     * when {@code fbgemm}.
     */
    private static LayerFactory layerFactory(ModelDirectory dir, LoadOptions options, QuantScheme scheme,
                                             boolean fbgemm, boolean nativeLayers, TensorLoader loader,
                                             NDManager weights) {
        if (scheme == null) {
            return new LayerFactory.Float32(loader);
        }
        QuantScheme stored = dir.config().quantization().orElse(null);
        if (stored != null && options.weightType() != WeightType.INT8) {
            LOG.info("{} holds {} weights; computing in INT8", dir.path(), stored.name());
        }
        LOG.info("INT8 {} weights computed by {}", scheme.name(), nativeLayers ? "the native library"
                : fbgemm ? "libtorch fbgemm (per-channel layers)"
                : Int8Kernels.describeSelection());
        boolean tied = dir.config().tieWordEmbeddings() || loader.store().find("lm_head.weight").isEmpty();
        // A quantized directory decides by itself: tables stored as I8 are read as such, float ones stay float.
        boolean quantizeTables = stored == null && options.quantizeEmbeddings();
        // With fbgemm the Java kernel only serves a stored tied INT8 head (whose values the embedding lookup
        // shares): single-threaded beside libtorch's threads, and not worth a warm-up.
        Int8Kernel kernel = fbgemm ? Int8Kernels.best() : int8Kernel(scheme, options.effectiveThreads(), weights);
        return new Int8LayerFactory(loader, scheme, kernel, quantizeTables, tied, fbgemm ? weights : null);
    }

    /**
     * The INT8 scheme the model computes with, or empty for float32: the stored one for a quantized directory
     * (whatever dtype was asked for: re-quantizing would lose the bit-exact round trip), else the asked one.
     */
    private static Optional<QuantScheme> int8Scheme(ModelDirectory dir, LoadOptions options) {
        Optional<QuantScheme> stored = dir.config().quantization();
        if (stored.isPresent() || options.weightType() != WeightType.INT8) {
            return stored;
        }
        return Optional.of(options.quantGroupSize() == 0 ? QuantScheme.perChannel()
                : QuantScheme.perGroup(options.quantGroupSize()));
    }

    /**
     * fbgemm computes per-channel INT8 on the CPU; it is chosen there (measured 1.5-2x the Java kernel's speed on
     * matrices larger than the caches, and far faster for several rows). {@value #JAVA_KERNEL_PROPERTY}{@code =true}
     * forces the Java kernel, for comparison.
     */
    private static boolean usesFbgemm(QuantScheme scheme, Device device) {
        if (scheme.groupSize() != 0 || !Device.Type.CPU.equals(device.getDeviceType())
                || Boolean.getBoolean(JAVA_KERNEL_PROPERTY)) {
            return false;
        }
        Optional<String> unusable = Int8LinearModule.unusableBecause();
        if (unusable.isPresent() && FBGEMM_WARNED.compareAndSet(false, true)) {
            LOG.warn("INT8 layers use the slower Java kernel: libtorch's fbgemm module cannot run here ({})",
                    unusable.get());
        }
        return unusable.isEmpty();
    }

    /**
     * The INT8 kernel for this model: the best single-threaded one, warmed up so the first tokens do not run in the
     * interpreter, spread over {@code threads} threads when there are several. The thread pool (daemon threads) is
     * attached to the weights' manager, so closing the model stops it.
     */
    private static Int8Kernel int8Kernel(QuantScheme scheme, int threads, NDManager weights) {
        Int8Kernel kernel = Int8Kernels.best();
        Int8Kernels.warmUp(kernel, scheme, Duration.ofSeconds(5));
        if (threads <= 1) {
            return kernel;
        }
        ParallelInt8Kernel parallel = ParallelInt8Kernel.builder().delegate(kernel).threads(threads).build();
        weights.attachInternal("int8-kernel-threads", parallel);
        return parallel;
    }

    /**
     * The INT8 Llama layers, each one's weights quantized on a helper thread while the previous layer is packed on
     * this one: fbgemm packs on one thread, so without the overlap a load alternates between quantizing (in
     * parallel) and packing (serially).
     */
    private static ScriptedLlamaLayer[] int8Layers(NDManager weights, Int8LayerFactory int8, TensorLoader loader,
                                                   ModelConfig c) {
        ScriptedLlamaLayer[] fused = new ScriptedLlamaLayer[c.numLayers()];
        ExecutorService ahead = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "assistant-quantize-ahead");
            thread.setDaemon(true);
            return thread;
        });
        try {
            Future<Int8LayerFactory.Weights[]> next = ahead.submit(() -> int8.llamaLayer(c, 0));
            for (int i = 0; i < fused.length; i++) {
                Int8LayerFactory.Weights[] current = await(next);
                int following = i + 1;
                if (following < fused.length) {
                    next = ahead.submit(() -> int8.llamaLayer(c, following));
                }
                fused[i] = ScriptedLlamaLayer.int8(weights, int8, loader, c, i, current);
            }
            return fused;
        } finally {
            ahead.shutdownNow();
        }
    }

    /** The result of {@code future}, with a failure of its task rethrown as the task threw it. */
    private static <T> T await(Future<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssistantException(ErrorCode.CANCELLED, "interrupted while loading the model", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    private static LlamaModel loadLlama(ModelConfig c, TensorLoader loader, LayerFactory linears, NDManager weights,
                                        boolean nativeLayers, int threads) {
        int hidden = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKvHeads() * c.headDim();
        TokenEmbedding embeddings = linears.embedding("model.embed_tokens.weight", c.vocabSize(), hidden);
        boolean fuse = !Boolean.getBoolean(UNFUSED_LAYERS_PROPERTY);
        if (nativeLayers) {
            return nativeLlama(c, loader, linears, weights, embeddings, threads);
        }
        if (fuse && linears instanceof Int8LayerFactory int8 && int8.packsLlamaLayers()) {
            ScriptedLlamaLayer[] fused = int8Layers(weights, int8, loader, c);
            NDArray norm = loader.load("model.norm.weight", hidden);
            LinearLayer head = head(c, loader.store(), linears, "lm_head");
            return new LlamaModel(c, weights, linears.computeType(), embeddings, fused, norm, head);
        }
        LlamaModel.Layer[] layers = new LlamaModel.Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            layers[i] = new LlamaModel.Layer(
                    loader.load(p + "input_layernorm.weight", hidden),
                    linears.fused(new String[]{a + "q_proj", a + "k_proj", a + "v_proj"}, new int[]{qOut, kvOut, kvOut},
                            hidden, c.attentionBias()),
                    linears.linear(a + "o_proj", hidden, qOut, false),
                    loader.load(p + "post_attention_layernorm.weight", hidden),
                    linears.fused(new String[]{p + "mlp.gate_proj", p + "mlp.up_proj"},
                            new int[]{c.intermediateSize(), c.intermediateSize()}, hidden, c.mlpBias()),
                    linears.linear(p + "mlp.down_proj", hidden, c.intermediateSize(), c.mlpBias()));
        }
        NDArray norm = loader.load("model.norm.weight", hidden);
        LinearLayer head = head(c, loader.store(), linears, "lm_head");
        if (fuse && linears instanceof LayerFactory.Float32
                && ScriptedLlamaLayer.unusableBecause(ShippedModule.FLOAT_LLAMA_LAYER).isEmpty()) {
            ScriptedLlamaLayer[] fused = new ScriptedLlamaLayer[layers.length];
            for (int i = 0; i < fused.length; i++) {
                fused[i] = ScriptedLlamaLayer.float32(weights, layers[i], c);
            }
            return new LlamaModel(c, weights, linears.computeType(), embeddings, fused, norm, head);
        }
        return new LlamaModel(c, weights, linears.computeType(), embeddings, layers, norm, head);
    }

    /**
     * Whether the native library computes Llama forward passes: on the CPU, for float32 and per-channel INT8
     * weights, when the library loads here and {@value #NATIVE_LAYERS_PROPERTY} is not {@code false}. Where it
     * cannot, the reason is logged once and libtorch runs the layers (the same answers within float rounding,
     * slower).
     */
    private static boolean nativeLayersServe(QuantScheme scheme, Device device) {
        if (scheme != null && scheme.groupSize() != 0 || !Device.Type.CPU.equals(device.getDeviceType())
                || "false".equals(System.getProperty(NATIVE_LAYERS_PROPERTY))) {
            return false;
        }
        Optional<String> unavailable = NativeLlamaLayers.unavailableBecause();
        if (unavailable.isPresent() && NATIVE_WARNED.compareAndSet(false, true)) {
            LOG.warn("Llama layers run through libtorch, slower: {}", unavailable.get());
        }
        return unavailable.isEmpty();
    }

    /**
     * A Llama model whose forward passes run in the native library: INT8 matrices copied in, float32 ones (and the
     * float32 embedding table) read in place from tensors the weight manager owns.
     */
    private static LlamaModel nativeLlama(ModelConfig c, TensorLoader loader, LayerFactory linears, NDManager weights,
                                          TokenEmbedding embeddings, int threads) {
        NativeLlamaLayers natives = NativeLlamaLayers.create(c, threads);
        try {
            for (int i = 0; i < c.numLayers(); i++) {
                if (linears instanceof Int8LayerFactory int8) {
                    Int8LayerFactory.Weights[] slots = int8.llamaLayer(c, i);
                    for (int slot = 0; slot < slots.length; slot++) {
                        natives.setInt8Linear(i, slot, slots[slot].matrix(), slots[slot].bias());
                    }
                } else {
                    setFloatLayer(natives, linears, c, i);
                }
                String p = "model.layers." + i + ".";
                natives.setNorms(i, loader.floats(p + "input_layernorm.weight", c.hiddenSize()),
                        loader.floats(p + "post_attention_layernorm.weight", c.hiddenSize()));
            }
            if (embeddings instanceof TokenEmbedding.Float32 table) {
                natives.setEmbedding(table.table());
            }
            natives.setFinalNorm(loader.floats("model.norm.weight", c.hiddenSize()));
            setNativeHead(natives, c, loader.store(), linears);
            LOG.info("Llama forward passes computed natively: {} weights, {} kernels, {} threads",
                    linears.computeType(), natives.instructionSet(), natives.threads());
            return new LlamaModel(c, weights, linears.computeType(), embeddings, natives);
        } catch (RuntimeException | Error e) {
            natives.close();
            throw e;
        }
    }

    /** Float32 layer {@code i}'s matrices, loaded as tensors (owned by the weight manager) and read in place. */
    private static void setFloatLayer(NativeLlamaLayers natives, LayerFactory linears, ModelConfig c, int i) {
        int hidden = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKvHeads() * c.headDim();
        String p = "model.layers." + i + ".";
        String a = p + "self_attn.";
        natives.setFloatLinear(i, NativeLlamaLayers.QKV, (FloatLinear) linears.fused(
                new String[]{a + "q_proj", a + "k_proj", a + "v_proj"}, new int[]{qOut, kvOut, kvOut}, hidden,
                c.attentionBias()));
        natives.setFloatLinear(i, NativeLlamaLayers.O, (FloatLinear) linears.linear(a + "o_proj", hidden, qOut, false));
        natives.setFloatLinear(i, NativeLlamaLayers.GATE_UP, (FloatLinear) linears.fused(
                new String[]{p + "mlp.gate_proj", p + "mlp.up_proj"},
                new int[]{c.intermediateSize(), c.intermediateSize()}, hidden, c.mlpBias()));
        natives.setFloatLinear(i, NativeLlamaLayers.DOWN, (FloatLinear) linears.linear(p + "mlp.down_proj", hidden,
                c.intermediateSize(), c.mlpBias()));
    }

    /**
     * The output head: an INT8 head of its own copied in; otherwise the head {@link #head} makes, a float32 tensor
     * read in place or the INT8 embedding table it shares (a quantized directory of a tied model), copied.
     */
    private static void setNativeHead(NativeLlamaLayers natives, ModelConfig c, WeightStore store,
                                      LayerFactory linears) {
        if (linears instanceof Int8LayerFactory int8) {
            QuantizedMatrix own = int8.headMatrix("lm_head", c.vocabSize(), c.hiddenSize(), headIsTied(c, store));
            if (own != null) {
                natives.setInt8Head(own);
                return;
            }
        }
        LinearLayer head = head(c, store, linears, "lm_head");
        if (head instanceof FloatLinear table) {
            natives.setFloatHead(table);
        } else if (head instanceof Int8Linear shared) {
            natives.setInt8Head(shared.matrix());
        } else {
            throw new IllegalStateException("no native form for an output head of " + head.getClass().getSimpleName());
        }
    }

    private static Gpt2Model loadGpt2(ModelConfig c, WeightStore store, TensorLoader loader, LayerFactory linears,
                                      NDManager weights) {
        String prefix = store.find("transformer.wte.weight").isPresent() ? "transformer." : "";
        int hidden = c.hiddenSize();
        int inner = c.intermediateSize();
        TokenEmbedding wte = linears.embedding(prefix + "wte.weight", c.vocabSize(), hidden);
        NDArray wpe = loader.load(prefix + "wpe.weight", c.maxPositionEmbeddings(), hidden);
        Gpt2Model.Layer[] layers = new Gpt2Model.Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = prefix + "h." + i + ".";
            layers[i] = new Gpt2Model.Layer(
                    loader.load(p + "ln_1.weight", hidden), loader.load(p + "ln_1.bias", hidden),
                    linears.conv1d(p + "attn.c_attn", hidden, 3 * hidden),
                    linears.conv1d(p + "attn.c_proj", hidden, hidden),
                    loader.load(p + "ln_2.weight", hidden), loader.load(p + "ln_2.bias", hidden),
                    linears.conv1d(p + "mlp.c_fc", hidden, inner),
                    linears.conv1d(p + "mlp.c_proj", inner, hidden));
        }
        LinearLayer head = head(c, store, linears, "lm_head");
        return new Gpt2Model(c, weights, linears.computeType(), wte, wpe, layers,
                loader.load(prefix + "ln_f.weight", hidden), loader.load(prefix + "ln_f.bias", hidden), head);
    }

    /** The output head: its own weight, or the token embeddings when tied (or when the file has no head at all). */
    private static LinearLayer head(ModelConfig c, WeightStore store, LayerFactory linears, String name) {
        return linears.head(name, c.vocabSize(), c.hiddenSize(), headIsTied(c, store, name));
    }

    private static boolean headIsTied(ModelConfig c, WeightStore store) {
        return headIsTied(c, store, "lm_head");
    }

    /** Whether head {@code name} is the embedding table: tied in config.json, or absent from the weights. */
    private static boolean headIsTied(ModelConfig c, WeightStore store, String name) {
        boolean present = store.find(name + ".weight").isPresent();
        if (!c.tieWordEmbeddings() && !present) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "missing tensor '" + name + ".weight' (config.json "
                    + "says tie_word_embeddings is false, so the model needs its own output head)");
        }
        return !(present && !c.tieWordEmbeddings());
    }
}
