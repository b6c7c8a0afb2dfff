package dev.assistant.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.TensorReader;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.DirectBuffers;
import dev.assistant.core.safetensors.FloatConversion;
import dev.assistant.core.safetensors.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns safetensors tensors into float32 NDArrays owned by one manager, in memory libtorch owns.
 *
 * <p>float32 tensors are handed to libtorch over their memory map, cloned there and unmapped at once: a tensor that
 * stayed a view of the file would fault the JVM (SIGBUS in native code) when the file is truncated or rewritten in
 * place under a running process. Half-precision tensors are converted in Java first: DJL aborts the JVM on BF16
 * arrays.
 */
final class TensorLoader {
    private final TensorReader reader;
    private final NDManager manager;
    private final Device device;
    private long bytes;

    TensorLoader(TensorReader reader, NDManager manager, Device device) {
        this.reader = reader;
        this.manager = manager;
        this.device = device;
    }

    /** Loads {@code name}, checking its shape against {@code shape}. */
    NDArray load(String name, long... shape) {
        return load(store().require(name, shape));
    }

    NDArray load(TensorInfo info) {
        if (!info.dtype().isFloat()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + info.name() + "' in " + info.file()
                    + " has dtype " + info.dtype() + " where a floating-point weight is expected");
        }
        ByteBuffer mapped = store().map(info);
        ByteBuffer data = FloatConversion.toF32(mapped, info.dtype());
        if (info.dtype() == DType.F32 && (info.begin() % 4 != 0 || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)) {
            data = copyAligned(data);
        }
        NDArray array;
        try (NDArray over = manager.create(data, new Shape(info.shape()), DataType.FLOAT32)) {
            // a clone on the target device: libtorch owns it, and nothing refers to the file afterwards
            array = device.equals(manager.getDevice()) ? over.duplicate() : over.toDevice(device, true);
        } finally {
            DirectBuffers.release(mapped);
            DirectBuffers.release(data); // a converted or aligned copy; a view of the map is left alone
        }
        bytes += info.elementCount() * 4;
        return array;
    }

    TensorReader reader() {
        return reader;
    }

    WeightStore store() {
        return reader.store();
    }

    private static ByteBuffer copyAligned(ByteBuffer source) {
        ByteBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
        out.asFloatBuffer().put(src.asFloatBuffer());
        return out;
    }

    /** The values of float tensor {@code name} of shape [{@code length}] as a Java array (not an NDArray). */
    float[] floats(String name, int length) {
        return reader.floats(name, length);
    }

    /** float32 bytes loaded so far. */
    long bytesLoaded() {
        return bytes;
    }
}
