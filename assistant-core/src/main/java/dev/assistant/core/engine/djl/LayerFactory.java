package dev.assistant.core.engine.djl;

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

    /** The token embedding table {@code name} of [vocab, hidden]. */
    abstract TokenEmbedding embedding(String name, int vocab, int hidden);

    /** The output head: its own {@code name.weight}, or the embedding table when {@code tied}. */
    abstract LinearLayer head(String name, int vocab, int hidden, boolean tied);

    /** Loads a float bias vector, or null. */
    protected float[] biasValues(String name, int out, boolean bias) {
        if (!bias) {
            return null;
        }
        float[] values = new float[out];
        loader.floats(store.require(name + ".bias", out)).get(values);
        return values;
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
