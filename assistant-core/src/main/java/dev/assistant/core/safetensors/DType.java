package dev.assistant.core.safetensors;

import java.util.Optional;

/** Tensor element types of the safetensors format that the SDK understands. */
public enum DType {
    F32(4), F16(2), BF16(2), I8(1), I32(4), I64(8), U8(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Whether weights of this type can be turned into float32 for compute. */
    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The type named {@code name} in a safetensors header, if the SDK knows it. */
    public static Optional<DType> fromHeaderName(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
