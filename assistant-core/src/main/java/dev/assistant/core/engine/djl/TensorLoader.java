package dev.assistant.core.engine.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.DirectBuffers;
import dev.assistant.core.safetensors.FloatConversion;
import dev.assistant.core.safetensors.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.function.Function;

/**
 * Turns safetensors tensors into float32 NDArrays owned by one manager.
 *
 * <p>float32 tensors are handed to libtorch straight from the memory map (zero copy: the model's pages are shared
 * with the page cache, not copied onto the heap). Half-precision tensors are converted in Java first: DJL aborts the
 * JVM on BF16 arrays. Arrays made here are read-only views of the file: they must never be the target of an in-place
 * operation.
 */
final class TensorLoader {
    private final WeightStore store;
    private final NDManager manager;
    private final Device device;
    private long bytes;

    TensorLoader(WeightStore store, NDManager manager, Device device) {
        this.store = store;
        this.manager = manager;
        this.device = device;
    }

    /** Loads {@code name}, checking its shape against {@code shape}. */
    NDArray load(String name, long... shape) {
        return load(store.require(name, shape));
    }

    NDArray load(TensorInfo info) {
        requireFloat(info);
        ByteBuffer data = FloatConversion.toF32(store.map(info), info.dtype());
        if (info.dtype() == DType.F32 && (info.begin() % 4 != 0 || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)) {
            data = copyAligned(data);
        }
        NDArray array = manager.create(data, new Shape(info.shape()), DataType.FLOAT32);
        if (!device.equals(manager.getDevice())) {
            NDArray moved = array.toDevice(device, false);
            array.close();
            array = moved;
        }
        bytes += info.elementCount() * 4;
        return array;
    }

    /**
     * Runs {@code use} on the float32 values of {@code info} (a view of the memory map for F32 tensors, a converted
     * copy for F16/BF16) without creating an NDArray, then releases the mapping and any copy at once: for weights
     * turned into another format at load (INT8), whose float values are not needed afterwards. {@code use} must not
     * keep the buffer or any view of it.
     */
    <T> T withFloats(TensorInfo info, Function<FloatBuffer, T> use) {
        requireFloat(info);
        ByteBuffer mapped = store.map(info);
        ByteBuffer data = FloatConversion.toF32(mapped, info.dtype());
        try {
            return use.apply(data.order(info.dtype() == DType.F32 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.nativeOrder())
                    .asFloatBuffer());
        } finally {
            DirectBuffers.release(mapped);
            if (info.dtype() != DType.F32) {
                DirectBuffers.release(data);
            }
        }
    }

    /** Runs {@code use} on the raw bytes of {@code info} (any dtype, read-only), then releases the mapping. */
    <T> T withBytes(TensorInfo info, Function<ByteBuffer, T> use) {
        ByteBuffer mapped = store.map(info);
        try {
            return use.apply(mapped.duplicate().order(ByteOrder.LITTLE_ENDIAN));
        } finally {
            DirectBuffers.release(mapped);
        }
    }

    private static void requireFloat(TensorInfo info) {
        if (!info.dtype().isFloat()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + info.name() + "' in " + info.file()
                    + " has dtype " + info.dtype() + " where a floating-point weight is expected");
        }
    }

    WeightStore store() {
        return store;
    }

    private static ByteBuffer copyAligned(ByteBuffer source) {
        ByteBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
        out.asFloatBuffer().put(src.asFloatBuffer());
        return out;
    }

    /** The values of float tensor {@code name} of shape [{@code length}] as a Java array (not an NDArray). */
    float[] floats(String name, int length) {
        return withFloats(store.require(name, length), buffer -> {
            float[] out = new float[length];
            buffer.get(out);
            return out;
        });
    }

    /** float32 bytes loaded so far. */
    long bytesLoaded() {
        return bytes;
    }
}
