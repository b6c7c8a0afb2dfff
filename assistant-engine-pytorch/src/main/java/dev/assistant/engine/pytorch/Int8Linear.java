package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.assistant.quant.Int8Kernel;
import dev.assistant.quant.QuantizedMatrix;

/**
 * A linear layer with INT8 weights, computed by the Java kernels of assistant-quant rather than libtorch: libtorch
 * has no usable INT8 x float path through DJL (INT8 matmul wraps around, and dequantizing per call is too slow),
 * while the Vector API kernel reads a quarter of FP32's bytes per token. Activations cross the JNI boundary as
 * float arrays (one copy each way of [rows, in] and [rows, out] floats, small next to the weights).
 */
final class Int8Linear implements LinearLayer {
    private final QuantizedMatrix weight;
    private final float[] bias;
    private final Int8Kernel kernel;

    Int8Linear(QuantizedMatrix weight, float[] bias, Int8Kernel kernel) {
        this.weight = weight;
        this.bias = bias;
        this.kernel = kernel;
    }

    @Override
    public NDArray apply(NDArray x) {
        int rows = (int) (x.getShape().size() / weight.cols());
        float[] in = x.toFloatArray();
        float[] out = new float[rows * weight.rows()];
        if (bias == null) {
            kernel.matmul(weight, in, rows, out);
        } else {
            kernel.matmul(weight, in, rows, bias, out);
        }
        return x.getManager().create(out, new Shape(rows, weight.rows()));
    }

    /** The weights. */
    QuantizedMatrix matrix() {
        return weight;
    }

    @Override
    public long weightBytes() {
        return weight.sizeInBytes() + (bias == null ? 0 : bias.length * 4L);
    }
}
