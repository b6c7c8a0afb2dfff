package dev.assistant.core.gguf;

import java.util.Arrays;

/**
 * One tensor of a GGUF file.
 *
 * @param dims   GGUF dimension order: {@code dims[0]} is the fastest-varying (a row's length)
 * @param offset byte offset from the start of the file's data section
 */
public record GgufTensor(String name, GgmlType type, long[] dims, long offset, long byteSize) {

    public GgufTensor {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** The shape in row-major (PyTorch/safetensors) order: the GGUF dimensions reversed. */
    public long[] shape() {
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            shape[i] = dims[dims.length - 1 - i];
        }
        return shape;
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t && name.equals(t.name) && type == t.type && Arrays.equals(dims, t.dims)
                && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(shape());
    }
}
