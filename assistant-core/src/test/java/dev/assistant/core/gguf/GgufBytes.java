package dev.assistant.core.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes GGUF v3 bytes for tests (written from the format description): metadata of any type, tensors with raw
 * block bytes, aligned data. Also lets a test write lies (any count, offset or type id) on purpose.
 */
final class GgufBytes {
    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private int kvCount;
    private final List<Object[]> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    GgufBytes alignment(int alignment) {
        if (alignment > 0) {
            this.alignment = alignment; // a lie (0) is still written, the layout keeps the default
        }
        return uint32("general.alignment", alignment);
    }

    GgufBytes string(String key, String value) {
        key(key, 8);
        str(kv, value);
        return this;
    }

    GgufBytes uint32(String key, long value) {
        key(key, 4);
        i32(kv, (int) value);
        return this;
    }

    GgufBytes float32(String key, float value) {
        key(key, 6);
        i32(kv, Float.floatToIntBits(value));
        return this;
    }

    GgufBytes bool(String key, boolean value) {
        key(key, 7);
        kv.write(value ? 1 : 0);
        return this;
    }

    GgufBytes strings(String key, List<String> values) {
        key(key, 9);
        i32(kv, 8);
        i64(kv, values.size());
        values.forEach(v -> str(kv, v));
        return this;
    }

    GgufBytes floats(String key, float[] values) {
        key(key, 9);
        i32(kv, 6);
        i64(kv, values.length);
        for (float v : values) {
            i32(kv, Float.floatToIntBits(v));
        }
        return this;
    }

    GgufBytes int32s(String key, int[] values) {
        key(key, 9);
        i32(kv, 5);
        i64(kv, values.length);
        for (int v : values) {
            i32(kv, v);
        }
        return this;
    }

    /** A raw key/value: type id then the value bytes as given. */
    GgufBytes raw(String key, int typeId, byte[] valueBytes) {
        key(key, typeId);
        kv.writeBytes(valueBytes);
        return this;
    }

    /** A tensor of {@code type} with GGUF dims ({@code dims[0]} = row length) and its raw bytes. */
    GgufBytes tensor(String name, int typeId, long[] dims, byte[] data) {
        tensors.add(new Object[]{name, typeId, dims, data});
        return this;
    }

    private void key(String key, int type) {
        kvCount++;
        str(kv, key);
        i32(kv, type);
    }

    byte[] build() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        i32(out, GgufFile.MAGIC);
        i32(out, 3);
        i64(out, tensors.size());
        i64(out, kvCount);
        out.writeBytes(kv.toByteArray());
        long offset = 0;
        List<Long> offsets = new ArrayList<>();
        for (Object[] t : tensors) {
            long[] dims = (long[]) t[2];
            str(out, (String) t[0]);
            i32(out, dims.length);
            for (long d : dims) {
                i64(out, d);
            }
            i32(out, (Integer) t[1]);
            i64(out, offset);
            offsets.add(offset);
            offset = align(offset + ((byte[]) t[3]).length);
        }
        pad(out);
        for (int i = 0; i < tensors.size(); i++) {
            byte[] data = (byte[]) tensors.get(i)[3];
            out.writeBytes(data);
            pad(out);
        }
        return out.toByteArray();
    }

    private long align(long n) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private void pad(ByteArrayOutputStream out) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
    }

    static void str(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(out, b.length);
        out.writeBytes(b);
    }

    static void i32(ByteArrayOutputStream out, int v) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    static void i64(ByteArrayOutputStream out, long v) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }
}
