package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;

/**
 * {@code y = x W^T + b} for activations {@code x} of shape [tokens, in]. Implementations differ in how the weight
 * is stored (float32 NDArray, INT8 with scales). The result is attached to the manager of {@code x}.
 */
interface LinearLayer {

    NDArray apply(NDArray x);

    /** Bytes of weight memory held. */
    long weightBytes();
}
