package dev.assistant.core.model;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.DirectBuffers;
import dev.assistant.core.safetensors.FloatConversion;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import dev.assistant.quant.Quantizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.function.Function;

/**
 * Reads a model's tensors for an engine, with no engine library involved: float values (converted from F16/BF16),
 * raw bytes, float32 copies the engine owns, and INT8 matrices (read as stored by {@code assistant quantize}, or
 * quantized from float weights by assistant-quant).
 *
 * <p>Every read maps the tensor, copies or converts what it needs and releases the mapping at once: nothing an
 * engine keeps points into the file, so replacing or truncating the file under a loaded model cannot fault it.
 */
public final class TensorReader {
    /** Suffix of the per-row (or per-group) scales of a stored INT8 matrix: {@code name.weight_scale}. */
    public static final String SCALE_SUFFIX = "_scale";

    private final WeightStore store;

    public TensorReader(WeightStore store) {
        this.store = store;
    }

    public WeightStore store() {
        return store;
    }

    /**
     * Runs {@code use} on the float32 values of {@code info} (a view of the memory map for F32 tensors, a converted
     * copy for F16/BF16), then releases the mapping and any copy. {@code use} must not keep the buffer.
     */
    public <T> T withFloats(TensorInfo info, Function<FloatBuffer, T> use) {
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

    /** Runs {@code use} on the raw little-endian bytes of {@code info} (any dtype, read-only), then unmaps. */
    public <T> T withBytes(TensorInfo info, Function<ByteBuffer, T> use) {
        ByteBuffer mapped = store.map(info);
        try {
            return use.apply(mapped.duplicate().order(ByteOrder.LITTLE_ENDIAN));
        } finally {
            DirectBuffers.release(mapped);
        }
    }

    /** The values of float tensor {@code name} of shape [{@code length}]. */
    public float[] floats(String name, int length) {
        return withFloats(store.require(name, length), buffer -> {
            float[] out = new float[length];
            buffer.get(out);
            return out;
        });
    }

    /**
     * A float32 copy of {@code info} in a direct buffer of native byte order that the caller owns (free it with
     * {@link DirectBuffers#release}). Copying at load costs one pass over the bytes; in exchange the model no longer
     * depends on the file.
     *
     * @throws AssistantException {@code RESOURCE_EXHAUSTED} when the JVM's direct-memory limit is reached
     */
    public ByteBuffer float32Copy(TensorInfo info) {
        ByteBuffer out;
        try {
            out = ByteBuffer.allocateDirect(Math.toIntExact(info.elementCount() * Float.BYTES))
                    .order(ByteOrder.nativeOrder());
        } catch (OutOfMemoryError e) {
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "no direct memory for tensor '" + info.name()
                    + "' (" + info.elementCount() * Float.BYTES + " bytes): raise -XX:MaxDirectMemorySize (its default"
                    + " is the maximum heap size) to at least the model's float32 weight bytes", e);
        }
        withFloats(info, floats -> out.asFloatBuffer().put(floats));
        return out;
    }

    /**
     * The [rows, cols] INT8 matrix of tensor {@code name} in {@code quantizer}'s scheme: read as stored when it is
     * I8 (with its {@code name_scale} F32 scales), else quantized from its float values ({@code transposed}: the
     * float tensor is stored [cols, rows], as GPT-2's Conv1D). Both routes give the same bytes for the same weights.
     */
    public QuantizedMatrix int8(String name, int rows, int cols, boolean transposed, Quantizer quantizer) {
        TensorInfo info = store.find(name).orElseThrow(() -> new AssistantException(ErrorCode.MODEL_INVALID,
                "missing tensor '" + name + "' in the weights of " + store));
        if (info.dtype() == DType.I8) {
            return stored(info, rows, cols, quantizer.scheme());
        }
        TensorInfo checked = transposed ? store.require(name, cols, rows) : store.require(name, rows, cols);
        return withFloats(checked, floats -> transposed ? quantizer.quantizeTransposed(floats, cols, rows)
                : quantizer.quantize(floats, rows, cols));
    }

    /** Whether tensor {@code name} is stored as INT8 ({@code assistant quantize}'s output). */
    public boolean isInt8(String name) {
        return store.find(name).map(info -> info.dtype() == DType.I8).orElse(false);
    }

    private QuantizedMatrix stored(TensorInfo values, int rows, int cols, QuantScheme scheme) {
        store.require(values.name(), rows, cols);
        TensorInfo scales = store.require(values.name() + SCALE_SUFFIX, rows, scheme.groupsPerRow(cols));
        if (scales.dtype() != DType.F32) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + scales.name() + "' in " + scales.file()
                    + " must be F32, is " + scales.dtype());
        }
        byte[] v = new byte[rows * cols];
        withBytes(values, bytes -> bytes.get(v));
        float[] s = new float[rows * scheme.groupsPerRow(cols)];
        withBytes(scales, bytes -> bytes.asFloatBuffer().get(s));
        return QuantizedMatrix.wrap(rows, cols, scheme, v, s);
    }

    private static void requireFloat(TensorInfo info) {
        if (!info.dtype().isFloat()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "tensor '" + info.name() + "' in " + info.file()
                    + " has dtype " + info.dtype() + " where a floating-point weight is expected");
        }
    }
}
