package dev.assistant.core.model;

import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.WeightType;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import dev.assistant.quant.Quantizer;

import java.util.Optional;

/**
 * A model's weights as INT8 matrices for an engine: quantized at load from float tensors, or read as stored by
 * {@code assistant quantize} without re-quantizing. Both routes give the same bytes, so a saved-and-reloaded model
 * computes bit-identical logits on every engine. Safe to use from one thread at a time; reading the next layer on a
 * helper thread while an engine packs this one is fine (nothing here touches an engine).
 */
public final class Int8Weights {
    private final TensorReader reader;
    private final Quantizer quantizer;

    public Int8Weights(TensorReader reader, QuantScheme scheme) {
        this.reader = reader;
        this.quantizer = new Quantizer(scheme);
    }

    /**
     * The INT8 scheme a model computes with, or empty for float32: the stored one for a quantized directory
     * (whatever dtype was asked for: re-quantizing would lose the bit-exact round trip), else the asked one.
     */
    public static Optional<QuantScheme> schemeFor(ModelConfig config, LoadOptions options) {
        Optional<QuantScheme> stored = config.quantization();
        if (stored.isPresent() || options.weightType() != WeightType.INT8) {
            return stored;
        }
        return Optional.of(options.quantGroupSize() == 0 ? QuantScheme.perChannel()
                : QuantScheme.perGroup(options.quantGroupSize()));
    }

    public QuantScheme scheme() {
        return quantizer.scheme();
    }

    public TensorReader reader() {
        return reader;
    }

    /**
     * An INT8 matrix, its float bias (null for none) and whether its input deserves the residual pass of an
     * engine that quantizes activations too ({@link #refinesInput}).
     */
    public record Matrix(QuantizedMatrix matrix, float[] bias, boolean refinesInput) {
    }

    /**
     * Whether the INT8 layer {@code name} should quantize its input with each row's rounding residual (about 16
     * bits) rather than with 8 bits per row: only an MLP's output projection (Llama's {@code mlp.down_proj}, GPT-2's
     * {@code mlp.c_proj}), whose input, the SwiGLU or GELU product, is heavy-tailed: a few large values would leave
     * the rest of the row a handful of 8-bit steps. Measured in Int8AccuracyTest: 8 bits everywhere failed it, the
     * residual here only passes with the same argmax agreement as the residual everywhere.
     */
    public static boolean refinesInput(String name) {
        return name.endsWith("mlp.down_proj") || name.endsWith("mlp.c_proj");
    }

    /** The [rows, cols] matrix {@code name} (a full tensor name); {@code transposed} as in {@link TensorReader#int8}. */
    public QuantizedMatrix matrix(String name, int rows, int cols, boolean transposed) {
        return reader.int8(name, rows, cols, transposed, quantizer);
    }

    /**
     * The linear layers {@code names} (without {@code .weight}) side by side, each [outs[i], in], as one matrix, with
     * their biases joined when {@code bias}.
     */
    public Matrix joined(String[] names, int[] outs, int in, boolean bias) {
        QuantizedMatrix[] parts = new QuantizedMatrix[names.length];
        float[][] biases = new float[names.length][];
        int total = 0;
        boolean refines = false;
        for (int i = 0; i < names.length; i++) {
            parts[i] = matrix(names[i] + ".weight", outs[i], in, false);
            biases[i] = bias ? reader.floats(names[i] + ".bias", outs[i]) : null;
            total += outs[i];
            refines |= refinesInput(names[i]);
        }
        float[] joined = null;
        if (bias) {
            joined = new float[total];
            for (int i = 0, at = 0; i < names.length; at += outs[i], i++) {
                System.arraycopy(biases[i], 0, joined, at, outs[i]);
            }
        }
        return new Matrix(names.length == 1 ? parts[0] : QuantizedMatrix.concatRows(parts), joined, refines);
    }

    /**
     * The matrices of Llama decoder layer {@code i} of a model of config {@code c}, in the order q|k|v, o, gate|up,
     * down (the slot order of the engines' layer modules). Phi-3 stores q|k|v and gate|up joined: each is quantized
     * as one matrix, which per output row (per-channel, or per group within a row) is exactly quantizing its parts
     * apart and joining the rows.
     */
    public Matrix[] llamaLayer(ModelConfig c, int i) {
        int hidden = c.hiddenSize();
        int qOut = c.numHeads() * c.headDim();
        int kvOut = c.numKvHeads() * c.headDim();
        String p = "model.layers." + i + ".";
        String a = p + "self_attn.";
        if (c.architecture() == Architecture.PHI3) {
            return new Matrix[]{
                    joined(new String[]{a + "qkv_proj"}, new int[]{qOut + 2 * kvOut}, hidden, false),
                    joined(new String[]{a + "o_proj"}, new int[]{hidden}, qOut, false),
                    joined(new String[]{p + "mlp.gate_up_proj"}, new int[]{2 * c.intermediateSize()}, hidden, false),
                    joined(new String[]{p + "mlp.down_proj"}, new int[]{hidden}, c.intermediateSize(), false)};
        }
        return new Matrix[]{
                joined(new String[]{a + "q_proj", a + "k_proj", a + "v_proj"}, new int[]{qOut, kvOut, kvOut}, hidden,
                        c.attentionBias()),
                joined(new String[]{a + "o_proj"}, new int[]{hidden}, qOut, false),
                joined(new String[]{p + "mlp.gate_proj", p + "mlp.up_proj"},
                        new int[]{c.intermediateSize(), c.intermediateSize()}, hidden, c.mlpBias()),
                joined(new String[]{p + "mlp.down_proj"}, new int[]{hidden}, c.intermediateSize(), c.mlpBias())};
    }
}
