package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.WeightStore;

/**
 * Builds the linear layers of a model in the compute type chosen at load. The float32 path keeps libtorch tensors
 * over the mapped file.
 */
class LinearFactory {
    protected long bytes;

    static LinearFactory forOptions(LoadOptions options) {
        return new LinearFactory();
    }

    String computeType() {
        return "f32";
    }

    /** Weight bytes held by layers this factory made. */
    long bytes() {
        return 0;
    }

    /** float32 bytes counted by the tensor loader that this factory then dropped (replaced by another format). */
    long floatBytesReplaced() {
        return 0;
    }

    /** A layer with a [out, in] weight named {@code name.weight} and, if {@code bias}, an [out] {@code name.bias}. */
    LinearLayer linear(WeightStore store, TensorLoader loader, String name, int out, int in, boolean bias) {
        NDArray w = loader.load(name + ".weight", out, in);
        NDArray b = bias ? loader.load(name + ".bias", out) : null;
        return new FloatLinear(w, b);
    }

    /** A GPT-2 Conv1D layer: weight stored [in, out], always with a bias. */
    LinearLayer conv1d(WeightStore store, TensorLoader loader, String name, int in, int out) {
        NDArray w = loader.load(name + ".weight", in, out);
        return new FloatLinear(w.transpose(), loader.load(name + ".bias", out));
    }

    /** The output head: {@code tied} embeddings when given, else the model's own {@code name.weight}. */
    LinearLayer head(WeightStore store, TensorLoader loader, String name, int vocab, int hidden, NDArray tied) {
        return tied != null ? new FloatLinear(tied, null) : new FloatLinear(loader.load(name + ".weight", vocab, hidden), null);
    }
}
