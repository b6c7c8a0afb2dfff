package dev.assistant.core.safetensors;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees the native memory of a direct or memory-mapped buffer now rather than at some later garbage collection.
 *
 * <p>Why: a model quantized at load reads every float weight once; left to the collector, those mappings (and the
 * float32 copies of half-precision weights) stay resident for as long as the heap has no reason to collect, so an
 * INT8 model showed the FP32 model's size again in its resident memory. Only for buffers nobody uses afterwards:
 * touching a released buffer crashes the JVM. Uses {@code sun.misc.Unsafe.invokeCleaner} (module
 * {@code jdk.unsupported}, readable without flags); where that is unavailable the collector frees them as before.
 */
public final class DirectBuffers {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> type = Class.forName("sun.misc.Unsafe");
            Field field = type.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            cleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private DirectBuffers() {
    }

    /**
     * Releases {@code buffer}'s memory if it is a direct buffer that owns it (not a slice or duplicate); returns
     * whether it did. Heap buffers and views are left to the collector.
     */
    public static boolean release(ByteBuffer buffer) {
        if (buffer == null || !buffer.isDirect() || INVOKE_CLEANER == null) {
            return false;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false; // a slice or duplicate: its owner's cleaner frees the memory later
        }
    }
}
