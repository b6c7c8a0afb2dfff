package dev.assistant.core.gguf;

/** The metadata value types of GGUF, by their id in the file, with the fixed byte size of scalars (0: variable). */
enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(0), ARRAY(0),
    UINT64(8), INT64(8), FLOAT64(8);

    private final int size;

    GgufValueType(int size) {
        this.size = size;
    }

    int size() {
        return size;
    }

    /** Fewest bytes one value of this type occupies (a string: its 8-byte length; an array: type and count). */
    int minimumBytes() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> size;
        };
    }

    static GgufValueType byId(long id) {
        GgufValueType[] all = values();
        return id >= 0 && id < all.length ? all[(int) id] : null;
    }
}
