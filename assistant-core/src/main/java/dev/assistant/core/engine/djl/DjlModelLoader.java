package dev.assistant.core.engine.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.WeightStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a {@link ModelDirectory} onto DJL's PyTorch engine: maps the weights, checks every tensor against
 * config.json and builds the architecture's layers.
 */
public final class DjlModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(DjlModelLoader.class);

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
        DjlRuntime.setThreads(options.effectiveThreads());
        long start = System.nanoTime();
        NDManager weights = NDManager.newBaseManager(device, "PyTorch");
        try (WeightStore store = dir.openWeights()) {
            LinearFactory linears = LinearFactory.forOptions(options);
            TensorLoader loader = new TensorLoader(store, weights, device);
            DjlCausalModel model = switch (dir.config().architecture()) {
                case LLAMA -> loadLlama(dir.config(), store, loader, linears, weights);
                case GPT2 -> loadGpt2(dir.config(), store, loader, linears, weights);
            };
            model.weightBytes = linears.bytes() + loader.bytesLoaded() - linears.floatBytesReplaced();
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

    private static LlamaModel loadLlama(ModelConfig c, WeightStore store, TensorLoader loader, LinearFactory linears,
                                        NDManager weights) {
        int hidden = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKvHeads() * c.headDim();
        NDArray embeddings = loader.load("model.embed_tokens.weight", c.vocabSize(), hidden);
        LlamaModel.Layer[] layers = new LlamaModel.Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            String a = p + "self_attn.";
            layers[i] = new LlamaModel.Layer(
                    loader.load(p + "input_layernorm.weight", hidden),
                    linears.linear(store, loader, a + "q_proj", qOut, hidden, c.attentionBias()),
                    linears.linear(store, loader, a + "k_proj", kvOut, hidden, c.attentionBias()),
                    linears.linear(store, loader, a + "v_proj", kvOut, hidden, c.attentionBias()),
                    linears.linear(store, loader, a + "o_proj", hidden, qOut, false),
                    loader.load(p + "post_attention_layernorm.weight", hidden),
                    linears.linear(store, loader, p + "mlp.gate_proj", c.intermediateSize(), hidden, c.mlpBias()),
                    linears.linear(store, loader, p + "mlp.up_proj", c.intermediateSize(), hidden, c.mlpBias()),
                    linears.linear(store, loader, p + "mlp.down_proj", hidden, c.intermediateSize(), c.mlpBias()));
        }
        NDArray norm = loader.load("model.norm.weight", hidden);
        LinearLayer head = head(c, store, loader, linears, "lm_head", embeddings);
        return new LlamaModel(c, weights, linears.computeType(), TokenEmbedding.of(embeddings), layers, norm, head);
    }

    private static Gpt2Model loadGpt2(ModelConfig c, WeightStore store, TensorLoader loader, LinearFactory linears,
                                      NDManager weights) {
        String prefix = store.find("transformer.wte.weight").isPresent() ? "transformer." : "";
        int hidden = c.hiddenSize();
        int inner = c.intermediateSize();
        NDArray wte = loader.load(prefix + "wte.weight", c.vocabSize(), hidden);
        NDArray wpe = loader.load(prefix + "wpe.weight", c.maxPositionEmbeddings(), hidden);
        Gpt2Model.Layer[] layers = new Gpt2Model.Layer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = prefix + "h." + i + ".";
            layers[i] = new Gpt2Model.Layer(
                    loader.load(p + "ln_1.weight", hidden), loader.load(p + "ln_1.bias", hidden),
                    linears.conv1d(store, loader, p + "attn.c_attn", hidden, 3 * hidden),
                    linears.conv1d(store, loader, p + "attn.c_proj", hidden, hidden),
                    loader.load(p + "ln_2.weight", hidden), loader.load(p + "ln_2.bias", hidden),
                    linears.conv1d(store, loader, p + "mlp.c_fc", hidden, inner),
                    linears.conv1d(store, loader, p + "mlp.c_proj", inner, hidden));
        }
        LinearLayer head = head(c, store, loader, linears, "lm_head", wte);
        return new Gpt2Model(c, weights, linears.computeType(), TokenEmbedding.of(wte), wpe, layers,
                loader.load(prefix + "ln_f.weight", hidden), loader.load(prefix + "ln_f.bias", hidden), head);
    }

    /** The output head: its own weight, or the token embeddings when tied (or when the file has no head at all). */
    private static LinearLayer head(ModelConfig c, WeightStore store, TensorLoader loader, LinearFactory linears,
                                    String name, NDArray embeddings) {
        boolean present = store.find(name + ".weight").isPresent();
        if (!c.tieWordEmbeddings() && !present) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "missing tensor '" + name + ".weight' (config.json "
                    + "says tie_word_embeddings is false, so the model needs its own output head)");
        }
        if (present && !c.tieWordEmbeddings()) {
            return linears.head(store, loader, name, c.vocabSize(), c.hiddenSize(), null);
        }
        return linears.head(store, loader, name, c.vocabSize(), c.hiddenSize(), embeddings);
    }
}
