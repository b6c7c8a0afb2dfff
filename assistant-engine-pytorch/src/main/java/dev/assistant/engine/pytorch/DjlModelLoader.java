package dev.assistant.engine.pytorch;

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
import dev.assistant.core.model.Int8Weights;
import dev.assistant.core.model.OutputHead;
import dev.assistant.core.model.TensorReader;
import dev.assistant.core.model.WeightStore;
import dev.assistant.quant.Int8Kernel;
import dev.assistant.quant.Int8Kernels;
import dev.assistant.quant.ParallelInt8Kernel;
import dev.assistant.quant.QuantScheme;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Loads a {@link ModelDirectory} onto DJL's PyTorch engine: reads the weights into libtorch, checks every tensor
 * against config.json and builds the architecture's layers. How it computes is fixed per load by
 * {@link PyTorchSettings} (engine options), never by process-wide properties.
 */
final class DjlModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(DjlModelLoader.class);

    private DjlModelLoader() {
    }

    /**
     * Loads the model.
     *
     * @throws AssistantException {@code MODEL_INVALID}/{@code MODEL_CORRUPTED} for bad files,
     *                            {@code ENGINE_UNAVAILABLE} when the device cannot be used
     */
    static CausalLanguageModel load(ModelDirectory dir, LoadOptions options, PyTorchSettings settings) {
        Device device = DjlRuntime.resolve(options.device());
        QuantScheme scheme = Int8Weights.schemeFor(dir.config(), options).orElse(null);
        boolean fbgemm = scheme != null && usesFbgemm(scheme, device, settings);
        // The Java INT8 kernel computes the large products on threads of its own; libtorch then only does small
        // work, and a second pool of spinning OpenMP threads would compete with it for cores.
        DjlRuntime.setThreads(scheme != null && !fbgemm ? 1 : options.effectiveThreads());
        long start = System.nanoTime();
        NDManager weights = NDManager.newBaseManager(device, "PyTorch");
        try (WeightStore store = dir.openWeights()) {
            TensorLoader loader = new TensorLoader(new TensorReader(store), weights, device);
            LayerFactory linears = layerFactory(dir, options, scheme, fbgemm, loader, weights);
            DjlCausalModel model = switch (dir.config().architecture()) {
                case LLAMA -> loadLlama(dir.config(), loader, linears, weights, settings.fusedLayers());
                // the shipped fused layer modules have no q/k norms: Qwen3 runs as separate operations
                case QWEN3 -> loadLlama(dir.config(), loader, linears, weights, false);
                case GEMMA2, GEMMA3 -> loadGemma(dir.config(), loader, linears, weights);
                // Phi-3 stores q|k|v and gate|up already joined, which the INT8 layer packing does not read
                case PHI3 -> loadLlama(dir.config(), loader, linears, weights, false);
                case GPT2 -> loadGpt2(dir.config(), store, loader, linears, weights);
            };
            model.weightBytes = loader.bytesLoaded() + linears.extraBytes();
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
                                             boolean fbgemm, TensorLoader loader, NDManager weights) {
        if (scheme == null) {
            return new LayerFactory.Float32(loader);
        }
        QuantScheme stored = dir.config().quantization().orElse(null);
        if (stored != null && options.weightType() != dev.assistant.core.engine.WeightType.INT8) {
            LOG.info("{} holds {} weights; computing in INT8", dir.path(), stored.name());
        }
        LOG.info("INT8 {} weights computed by {}", scheme.name(), fbgemm ? "libtorch fbgemm (per-channel layers)"
                : Int8Kernels.describeSelection());
        if (!fbgemm) {
            Int8Kernels.scalarWarning().ifPresent(LOG::warn);
        }
        boolean tied = dir.config().tieWordEmbeddings() || loader.store().find("lm_head.weight").isEmpty();
        // A quantized directory decides by itself: tables stored as I8 are read as such, float ones stay float.
        boolean quantizeTables = stored == null && options.quantizeEmbeddings();
        // With fbgemm the Java kernel only serves a stored tied INT8 head (whose values the embedding lookup
        // shares): single-threaded beside libtorch's threads, and not worth a warm-up.
        Int8Kernel kernel = fbgemm ? Int8Kernels.best() : int8Kernel(scheme, options.effectiveThreads(), weights);
        return new Int8LayerFactory(loader, scheme, kernel, quantizeTables, tied, fbgemm ? weights : null);
    }

    /**
     * fbgemm computes per-channel INT8 on the CPU; it is chosen there (measured 1.5-2x the Java kernel's speed on
     * matrices larger than the caches, and far faster for several rows). Engine option {@code pytorch.int8=java}
     * forces the Java kernel, for comparison.
     */
    private static boolean usesFbgemm(QuantScheme scheme, Device device, PyTorchSettings settings) {
        if (scheme.groupSize() != 0 || !Device.Type.CPU.equals(device.getDeviceType()) || !settings.fbgemm()) {
            return false;
        }
        Optional<String> unusable = Int8LinearModule.unusableBecause();
        unusable.ifPresent(reason -> LOG.info("INT8 layers use the slower Java kernel: libtorch's fbgemm module "
                + "cannot run here ({})", reason));
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
            Future<Int8Weights.Matrix[]> next = ahead.submit(() -> int8.llamaLayer(c, 0));
            for (int i = 0; i < fused.length; i++) {
                Int8Weights.Matrix[] current = await(next);
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

    private static DjlCausalModel loadLlama(ModelConfig c, TensorLoader loader, LayerFactory linears,
                                            NDManager weights, boolean fuse) {
        int hidden = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKvHeads() * c.headDim();
        TokenEmbedding embeddings = linears.embedding("model.embed_tokens.weight", c.vocabSize(), hidden);
        if (fuse && linears instanceof Int8LayerFactory int8 && int8.packsLlamaLayers()) {
            ScriptedLlamaLayer[] fused = int8Layers(weights, int8, loader, c);
            NDArray norm = loader.load("model.norm.weight", hidden);
            LinearLayer head = head(c, loader.store(), linears, "lm_head");
            return new LlamaScriptedModel(c, weights, linears.computeType(), embeddings, fused, norm, head);
        }
        LlamaOpsModel.Layer[] layers = new LlamaOpsModel.Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            boolean phi3 = c.architecture() == Architecture.PHI3;
            layers[i] = new LlamaOpsModel.Layer(
                    loader.load(p + "input_layernorm.weight", hidden),
                    phi3 ? linears.linear(a + "qkv_proj", qOut + 2 * kvOut, hidden, false)
                            : linears.fused(new String[]{a + "q_proj", a + "k_proj", a + "v_proj"},
                            new int[]{qOut, kvOut, kvOut}, hidden, c.attentionBias()),
                    linears.linear(a + "o_proj", hidden, qOut, false),
                    loader.load(p + "post_attention_layernorm.weight", hidden),
                    phi3 ? linears.linear(p + "mlp.gate_up_proj", 2 * c.intermediateSize(), hidden, false)
                            : linears.fused(new String[]{p + "mlp.gate_proj", p + "mlp.up_proj"},
                            new int[]{c.intermediateSize(), c.intermediateSize()}, hidden, c.mlpBias()),
                    linears.linear(p + "mlp.down_proj", hidden, c.intermediateSize(), c.mlpBias()),
                    c.architecture() == Architecture.QWEN3 ? new LlamaOpsModel.HeadNorms(
                            loader.load(a + "q_norm.weight", c.headDim()), loader.load(a + "k_norm.weight", c.headDim()))
                            : null);
        }
        NDArray norm = loader.load("model.norm.weight", hidden);
        LinearLayer head = head(c, loader.store(), linears, "lm_head");
        if (fuse && linears instanceof LayerFactory.Float32
                && ScriptedLlamaLayer.unusableBecause(ShippedModule.FLOAT_LLAMA_LAYER).isEmpty()) {
            ScriptedLlamaLayer[] fused = new ScriptedLlamaLayer[layers.length];
            for (int i = 0; i < fused.length; i++) {
                fused[i] = ScriptedLlamaLayer.float32(weights, layers[i], c);
            }
            return new LlamaScriptedModel(c, weights, linears.computeType(), embeddings, fused, norm, head);
        }
        return new LlamaOpsModel(c, weights, linears.computeType(), embeddings, layers, norm, head);
    }

    private static Gemma2Model loadGemma(ModelConfig c, TensorLoader loader, LayerFactory linears, NDManager weights) {
        int hidden = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKvHeads() * c.headDim();
        TokenEmbedding embeddings = linears.embedding("model.embed_tokens.weight", c.vocabSize(), hidden);
        boolean gemma3 = c.architecture() == Architecture.GEMMA3;
        Gemma2Model.Layer[] layers = new Gemma2Model.Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            layers[i] = new Gemma2Model.Layer(
                    gemmaNorm(loader, p + "input_layernorm.weight", hidden),
                    linears.fused(new String[]{a + "q_proj", a + "k_proj", a + "v_proj"}, new int[]{qOut, kvOut, kvOut},
                            hidden, c.attentionBias()),
                    linears.linear(a + "o_proj", hidden, qOut, false),
                    gemmaNorm(loader, p + "post_attention_layernorm.weight", hidden),
                    gemmaNorm(loader, p + "pre_feedforward_layernorm.weight", hidden),
                    linears.fused(new String[]{p + "mlp.gate_proj", p + "mlp.up_proj"},
                            new int[]{c.intermediateSize(), c.intermediateSize()}, hidden, false),
                    linears.linear(p + "mlp.down_proj", hidden, c.intermediateSize(), false),
                    gemmaNorm(loader, p + "post_feedforward_layernorm.weight", hidden),
                    gemma3 ? gemmaNorm(loader, a + "q_norm.weight", c.headDim()) : null,
                    gemma3 ? gemmaNorm(loader, a + "k_norm.weight", c.headDim()) : null);
        }
        return new Gemma2Model(c, weights, linears.computeType(), embeddings, layers,
                gemmaNorm(loader, "model.norm.weight", hidden), head(c, loader.store(), linears, "lm_head"));
    }

    /** A Gemma RMSNorm weight as it multiplies: 1 + w. */
    private static NDArray gemmaNorm(TensorLoader loader, String name, int size) {
        return loader.load(name, size).add(1f);
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
        return linears.head(name, c.vocabSize(), c.hiddenSize(), OutputHead.isTied(c, store, name));
    }
}
