package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import dev.assistant.quant.QuantizedMatrix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A per-channel INT8 linear layer computed by libtorch's fbgemm: the weights are packed once into fbgemm's blocked
 * layout, and each call quantizes every activation row on its own fixed grid (plus a second pass over the rounding
 * residual, about 16 bits in all) and runs an integer GEMM (VNNI where the CPU has it); see
 * {@code src/main/python/make_torchscript_modules.py} for why. A row's result does not depend on the other rows of
 * the batch. Measured 1.5-2x faster than the Java Vector API kernel on matrices that do not fit the caches, and it stays
 * fast for several rows (batched decoding, prefill), where the Java kernel becomes compute-bound. Activations never
 * leave libtorch: no float copies through Java.
 *
 * <p>The packed weights live in native memory owned by this layer's TorchScript module ({@link Int8LinearModule}),
 * which is attached to the model's weight manager and freed with it.
 */
final class FbgemmInt8Linear implements LinearLayer {
    private final PtSymbolBlock module;
    private final long bytes;

    private FbgemmInt8Linear(PtSymbolBlock module, long bytes) {
        this.module = module;
        this.bytes = bytes;
    }

    /**
     * Packs {@code weight} (per-channel scheme) and {@code bias} (null for none) into a new module owned by
     * {@code owner}. The Java arrays are not kept: fbgemm copies the values into its own layout.
     *
     * @param reduceRange quantize activations to 7 bits: needed where the CPU lacks VNNI, whose 16-bit pairwise
     *                    sums could otherwise saturate (see {@link Int8LinearModule#reduceRange()})
     * @param residual    also send each input row's rounding residual through the GEMM (about 16-bit activations
     *                    for a second row of compute) rather than 8 bits per row; see
     *                    {@link Int8LayerFactory#refinesInput(String)}
     */
    static FbgemmInt8Linear pack(NDManager owner, QuantizedMatrix weight, float[] bias, boolean reduceRange,
                                 boolean residual, StagingBuffer buffer) {
        return packInto(Int8LinearModule.load(owner), owner, weight, bias, reduceRange, residual, buffer);
    }

    /** {@link #pack} into a module already loaded (and owned by {@code owner}). */
    static FbgemmInt8Linear packInto(PtSymbolBlock module, NDManager owner, QuantizedMatrix weight, float[] bias,
                                     boolean reduceRange, boolean residual, StagingBuffer buffer) {
        return new FbgemmInt8Linear(module,
                packSlot(module, "load", null, owner, weight, bias, reduceRange, residual, buffer));
    }

    /**
     * Packs {@code weight} and {@code bias} through {@code module}'s method {@code method}: {@code load(values,
     * scales, bias, reduceRange, residual)}, or, when {@code slot} is not null, {@code method(slot, values, ...)}
     * for a module holding several linear layers. Returns the bytes packed.
     */
    static long packSlot(PtSymbolBlock module, String method, Long slot, NDManager owner, QuantizedMatrix weight,
                         float[] bias, boolean reduceRange, boolean residual, StagingBuffer buffer) {
        if (weight.groupsPerRow() != 1) {
            throw new IllegalArgumentException("fbgemm needs per-channel scales, not " + weight.scheme().name());
        }
        int rows = weight.rows();
        try (NDManager staging = owner.newSubManager()) {
            ByteBuffer values = buffer.holding(weight.valuesBuffer());
            PtNDArray w = (PtNDArray) staging.create(values, new Shape(rows, weight.cols()), DataType.INT8);
            float[] scales = new float[rows];
            weight.scalesBuffer().duplicate().get(scales);
            PtNDArray s = (PtNDArray) staging.create(scales);
            PtNDArray b = (PtNDArray) staging.create(bias == null ? new float[rows] : bias);
            IValue[] tensors = {IValue.from(w), IValue.from(s), IValue.from(b), IValue.from(reduceRange),
                    IValue.from(residual)};
            IValue[] args = tensors;
            if (slot != null) {
                args = new IValue[tensors.length + 1];
                args[0] = IValue.from(slot);
                System.arraycopy(tensors, 0, args, 1, tensors.length);
            }
            try {
                IValueUtils.runMethod(module, method, args).close();
            } finally {
                for (IValue arg : args) {
                    arg.close();
                }
            }
        }
        return (long) rows * weight.cols() + 4L * rows + (bias == null ? 0 : 4L * rows);
    }

    /**
     * One native buffer reused to hand each matrix's values to libtorch while a model loads: a fresh direct buffer
     * per matrix would leave the model's size again in native memory until the garbage collector frees them. Safe
     * to reuse because packing copies the values (tested by packing one layer after another).
     */
    static final class StagingBuffer {
        private ByteBuffer buffer = ByteBuffer.allocateDirect(0);

        /** A direct buffer holding a copy of {@code source}'s remaining bytes, valid until the next call. */
        ByteBuffer holding(ByteBuffer source) {
            int size = source.remaining();
            if (buffer.capacity() < size) {
                buffer = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
            }
            ByteBuffer view = buffer.duplicate().order(ByteOrder.nativeOrder());
            view.clear().limit(size);
            view.put(source.duplicate()).flip();
            return view;
        }
    }

    @Override
    public NDArray apply(NDArray x) {
        IValue in = IValue.from((PtNDArray) x);
        try (IValue out = module.forward(new IValue[]{in})) {
            return out.toTensor((PtNDManager) x.getManager()); // a new reference to the result: outlives the IValue
        } finally {
            in.close();
        }
    }

    @Override
    public long weightBytes() {
        return bytes;
    }
}
