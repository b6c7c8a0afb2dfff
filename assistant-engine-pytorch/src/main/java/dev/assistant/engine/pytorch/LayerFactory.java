package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.WeightStore;

/**
 * Builds a model's weight-bearing layers (linear layers, embeddings, output head) in the compute format chosen at
 * load. The architecture loaders say what each tensor is; the factory decides how it is stored and computed.
 */
abstract class LayerFactory {
    protected final TensorLoader loader;
    protected final WeightStore store;

    LayerFactory(TensorLoader loader) {
        this.loader = loader;
        this.store = loader.store();
    }

    /** {@code f32} or {@code int8}: what the model reports as its compute type. */
    abstract String computeType();

    /** Weight bytes held outside the tensor loader's NDArrays (e.g. INT8 matrices in the Java heap). */
    abstract long extraBytes();

    /** A layer with a [out, in] weight {@code name.weight} and, if {@code bias}, an [out] {@code name.bias}. */
    abstract LinearLayer linear(String name, int out, int in, boolean bias);

    /** A GPT-2 Conv1D layer: weight stored [in, out], always with a bias. */
    abstract LinearLayer conv1d(String name, int in, int out);

    /**
     * Several linear layers reading the same input (q|k|v, gate|up) as one layer whose output is their outputs side
     * by side: one matrix pass and one crossing of the JNI boundary instead of several, which matters at batch 1
     * where each native call costs about as much as a small matrix-vector product.
     */
    abstract LinearLayer fused(String[] names, int[] outs, int in, boolean bias);

    /** The token embedding table {@code name} of [vocab, hidden]. */
    abstract TokenEmbedding embedding(String name, int vocab, int hidden);

    /** The output head: its own {@code name.weight}, or the embedding table when {@code tied}. */
    abstract LinearLayer head(String name, int vocab, int hidden, boolean tied);

    /** Loads a float bias vector, or null. */
    protected float[] biasValues(String name, int out, boolean bias) {
        if (!bias) {
            return null;
        }
        return loader.floats(name + ".bias", out);
    }

    protected static AssistantException tiedWithoutEmbedding(String name) {
        return new AssistantException(ErrorCode.MODEL_INVALID, "output head '" + name
                + "' is tied to an embedding table that was not loaded");
    }

    /** float32 layers computed by libtorch over the memory-mapped weights. */
    static final class Float32 extends LayerFactory {
        private NDArray embeddingTable;

        Float32(TensorLoader loader) {
            super(loader);
        }

        @Override
        String computeType() {
            return "f32";
        }

        @Override
        long extraBytes() {
            return 0;
        }

        @Override
        LinearLayer linear(String name, int out, int in, boolean bias) {
            NDArray w = loader.load(name + ".weight", out, in);
            return new FloatLinear(w, bias ? loader.load(name + ".bias", out) : null);
        }

        @Override
        LinearLayer conv1d(String name, int in, int out) {
            NDArray w = loader.load(name + ".weight", in, out);
            return new FloatLinear(w.transpose(), loader.load(name + ".bias", out));
        }

        @Override
        LinearLayer fused(String[] names, int[] outs, int in, boolean bias) {
            ai.djl.ndarray.NDList weights = new ai.djl.ndarray.NDList();
            ai.djl.ndarray.NDList biases = new ai.djl.ndarray.NDList();
            for (int i = 0; i < names.length; i++) {
                weights.add(loader.load(names[i] + ".weight", outs[i], in));
                if (bias) {
                    biases.add(loader.load(names[i] + ".bias", outs[i]));
                }
            }
            // The concatenation is a copy; the mapped parts are released so only one copy stays resident.
            NDArray w = ai.djl.ndarray.NDArrays.concat(weights, 0);
            NDArray b = bias ? ai.djl.ndarray.NDArrays.concat(biases, 0) : null;
            weights.close();
            biases.close();
            return new FloatLinear(w, b);
        }

        @Override
        TokenEmbedding embedding(String name, int vocab, int hidden) {
            embeddingTable = loader.load(name, vocab, hidden);
            return TokenEmbedding.of(embeddingTable);
        }

        @Override
        LinearLayer head(String name, int vocab, int hidden, boolean tied) {
            if (tied) {
                if (embeddingTable == null) {
                    throw tiedWithoutEmbedding(name);
                }
                return new FloatLinear(embeddingTable, null);
            }
            return new FloatLinear(loader.load(name + ".weight", vocab, hidden), null);
        }
    }
}
