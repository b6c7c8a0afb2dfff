package dev.assistant.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import dev.assistant.core.model.ModelConfig;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A whole Llama-family decoder layer in one native call per forward pass: RMSNorm, q|k|v, RoPE, ragged attention
 * over the sequences' caches, o, residual, RMSNorm, gate|up, SwiGLU, down, residual. Two shipped modules:
 * {@code int8_llama_layer.pt} (per-channel INT8 on fbgemm; the packed weights live in the module) and
 * {@code float_llama_layer.pt} (float32 over the model's own weight tensors, not copied). Each module is owned by
 * the model's weight manager.
 *
 * <p>Why: through DJL a layer is about 35 native calls (plus four module calls with INT8), each costing 10-15 us of
 * JNI and bookkeeping here; inside TorchScript an operator costs about 5 us and there is one JNI crossing. On the
 * SmolLM-135M shape that overhead was most of a decoded token's time. The operators are those of the DJL path
 * ({@link LlamaModel}), in the same order (tested: the same logits, bit for bit).
 */
final class ScriptedLlamaLayer {
    private static final Map<ShippedModule, Optional<String>> UNUSABLE = new ConcurrentHashMap<>();

    private final PtSymbolBlock module;

    private ScriptedLlamaLayer(PtSymbolBlock module) {
        this.module = module;
    }

    /**
     * Empty when {@code module} (and the attention it calls) loads on this libtorch, else why not (checked once per
     * process and module).
     */
    static Optional<String> unusableBecause(ShippedModule module) {
        Optional<String> attention = Attention.unusableBecause();
        if (attention.isPresent()) {
            return attention;
        }
        return UNUSABLE.computeIfAbsent(module, m -> {
            try (NDManager scope = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                m.load(scope);
                return Optional.empty();
            } catch (RuntimeException | LinkageError e) {
                return Optional.of(ShippedModule.firstLine(e));
            }
        });
    }

    /** INT8 layer {@code i} of a model of config {@code c}, its {@link Int8LayerFactory#llamaLayer} packed by {@code linears}. */
    static ScriptedLlamaLayer int8(NDManager owner, Int8LayerFactory linears, TensorLoader loader, ModelConfig c,
                                   int i, dev.assistant.core.model.Int8Weights.Matrix[] weights) {
        int hidden = c.hiddenSize();
        String p = "model.layers." + i + ".";
        PtSymbolBlock module = ShippedModule.INT8_LLAMA_LAYER.load(owner);
        for (int slot = 0; slot < weights.length; slot++) {
            linears.packInto(module, slot, weights[slot]);
        }
        try (NDManager staging = owner.newSubManager()) {
            // the module keeps copies: these views of the weight file are not needed afterwards
            NDArray attentionNorm = loader.load(p + "input_layernorm.weight", hidden);
            NDArray mlpNorm = loader.load(p + "post_attention_layernorm.weight", hidden);
            attentionNorm.attach(staging);
            mlpNorm.attach(staging);
            loadNorms(module, staging, attentionNorm, mlpNorm, c);
        }
        return new ScriptedLlamaLayer(module);
    }

    /**
     * The float32 {@code layer} as one module call. The module refers to the layer's weight tensors (no copy), which
     * stay owned by the model's weight manager.
     */
    static ScriptedLlamaLayer float32(NDManager owner, LlamaOpsModel.Layer layer, ModelConfig c) {
        PtSymbolBlock module = ShippedModule.FLOAT_LLAMA_LAYER.load(owner);
        LinearLayer[] linears = {layer.qkv(), layer.o(), layer.gateUp(), layer.down()};
        for (int slot = 0; slot < linears.length; slot++) {
            FloatLinear linear = (FloatLinear) linears[slot];
            boolean hasBias = linear.bias() != null;
            // the module refers to the weight, it does not copy it: the tensor stays owned by the weight manager
            IValue[] args = {IValue.from((long) slot), IValue.from((PtNDArray) linear.weight()),
                    IValue.from((PtNDArray) (hasBias ? linear.bias() : linear.weight())), IValue.from(hasBias)};
            run(module, "load_linear", args);
        }
        try (NDManager staging = owner.newSubManager()) {
            loadNorms(module, staging, layer.attentionNorm(), layer.mlpNorm(), c);
        }
        return new ScriptedLlamaLayer(module);
    }

    private static void loadNorms(PtSymbolBlock module, NDManager staging, NDArray attentionNorm, NDArray mlpNorm,
                                  ModelConfig c) {
        NDArray eps = staging.create(new float[]{(float) c.normEps()}, new Shape(1));
        run(module, "load_norms", new IValue[]{IValue.from((PtNDArray) attentionNorm), IValue.from((PtNDArray) mlpNorm),
                IValue.from((PtNDArray) eps), IValue.from((long) c.numHeads()), IValue.from((long) c.intermediateSize())});
    }

    /** Runs {@code method} of {@code module} for its side effect, closing the arguments and the result. */
    private static void run(PtSymbolBlock module, String method, IValue[] args) {
        try {
            IValueUtils.runMethod(module, method, args).close();
        } finally {
            for (IValue arg : args) {
                arg.close();
            }
        }
    }

    /**
     * The inputs every layer of one forward pass shares (RoPE factors, positions and lengths of the segments),
     * converted once per pass rather than once per layer. Closing releases them.
     */
    static final class PassInputs implements AutoCloseable {
        private final IValue[] values;

        /** @param rope the pass's {@link RotaryEmbedding#stackedFactors} */
        PassInputs(NDArray[] rope, Segments segments) {
            values = new IValue[]{IValue.from((PtNDArray) rope[0]), IValue.from((PtNDArray) rope[1]),
                    SegmentArguments.past(segments), SegmentArguments.lengths(segments)};
        }

        @Override
        public void close() {
            for (IValue value : values) {
                value.close();
            }
        }
    }

    /** The layer's output [rows, hidden] for input {@code x}, writing the rows' keys and values at {@code layer}. */
    NDArray forward(NDManager scope, NDArray x, Segments segments, int layer, PassInputs shared) {
        IValue in = IValue.from((PtNDArray) x);
        IValue keyList = SegmentArguments.keys(segments, layer);
        IValue valueList = SegmentArguments.values(segments, layer);
        IValue[] v = shared.values;
        try (IValue out = module.forward(new IValue[]{in, v[0], v[1], keyList, valueList, v[2], v[3]})) {
            return out.toTensor((PtNDManager) scope);
        } finally {
            in.close();
            keyList.close();
            valueList.close();
        }
    }
}
