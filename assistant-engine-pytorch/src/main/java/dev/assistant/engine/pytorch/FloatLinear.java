package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/**
 * A float32 linear layer computed by libtorch. The weight is held as [out, in] (PyTorch's {@code nn.Linear} layout);
 * GPT-2's Conv1D [in, out] weights are passed as a transposed view, which libtorch's GEMM reads without copying.
 */
final class FloatLinear implements LinearLayer {
    private final NDArray weight;
    private final NDArray bias;

    /**
     * @param weight [out, in]
     * @param bias   [out] or null
     */
    FloatLinear(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /** [out, in]. */
    NDArray weight() {
        return weight;
    }

    /** [out], or null. */
    NDArray bias() {
        return bias;
    }

    @Override
    public NDArray apply(NDArray x) {
        return Linear.linear(x, weight, bias).singletonOrThrow();
    }

    @Override
    public long weightBytes() {
        return weight.getShape().size() * 4 + (bias == null ? 0 : bias.getShape().size() * 4);
    }
}
