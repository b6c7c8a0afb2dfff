package dev.assistant.quant;

import java.time.Duration;
import java.util.Objects;
import java.util.Random;

/**
 * Picks the INT8 kernel for this JVM.
 *
 * <p>{@link #best()} returns the Java Vector API kernel when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (JDK 17 and later) and the CPU has at least 256-bit vectors; otherwise
 * the {@link ScalarInt8Kernel}, after logging one warning per JVM (through SLF4J, like the rest of the SDK, so it goes
 * wherever the host routes its logging) that says which flag to add. The vector kernel class is only loaded after the
 * module check, so a JVM without the module never touches {@code jdk.incubator.vector}.
 *
 * <p>Both kernels run on the calling thread. For several threads wrap one in a {@link ParallelInt8Kernel}.
 */
public final class Int8Kernels {
    /** The module the vector kernel needs. */
    public static final String VECTOR_MODULE = "jdk.incubator.vector";
    /** The JVM option that enables the vector kernel. */
    public static final String VECTOR_FLAG = "--add-modules " + VECTOR_MODULE;


    private Int8Kernels() {
    }

    /** Whether the Vector API module is in the boot layer (the JVM was started with {@link #VECTOR_FLAG}). */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
    }

    /** Whether {@link #best()} returns the vector kernel. */
    public static boolean vectorKernelAvailable() {
        return vectorModulePresent() && VectorSupport.supported();
    }

    /**
     * The fastest single-threaded kernel here. Says nothing itself: the caller that loads a model logs
     * {@link #scalarWarning()} with it when that is the scalar fallback (once per model, not once per JVM).
     */
    public static Int8Kernel best() {
        return vectorKernelAvailable() ? VectorSupport.kernel() : ScalarInt8Kernel.INSTANCE;
    }

    /** Empty when {@link #best()} is the vector kernel, else a warning line saying why not and how to fix it. */
    public static java.util.Optional<String> scalarWarning() {
        if (vectorKernelAvailable()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("INT8 kernels use the slow scalar path: " + reasonForScalar() + ". Start the JVM "
                + "with '" + VECTOR_FLAG + "' for the Java Vector API kernel (5-10x faster).");
    }

    /** The portable kernel, whatever the JVM offers (for tests and comparisons). */
    public static Int8Kernel scalar() {
        return ScalarInt8Kernel.INSTANCE;
    }

    /** One line for a start-up log saying which kernel {@link #best()} picks and why. */
    public static String describeSelection() {
        if (vectorKernelAvailable()) {
            return "INT8 kernel: " + VectorSupport.kernel().name() + " (Java Vector API, " + VectorSupport.lanes()
                    + " float lanes)";
        }
        return "INT8 kernel: scalar (" + reasonForScalar() + ")";
    }

    /** A warmed-up vector kernel runs the warm-up matrix in ~5 us; interpreted or C1 code takes over 1000 us. */
    private static final long WARM_CALL_NANOS = 200_000;
    private static final int WARM_ROWS = 64;
    private static final int WARM_COLS = 512;

    /**
     * Runs {@code kernel} on a small synthetic {@code scheme} matrix, through its decode ({@code m = 1}) and prefill
     * ({@code m = 4}) paths, until both run at compiled speed or {@code budget} has passed. Vector API code is
     * extremely slow until C2 compiles it (the first calls of a 64 x 512 matvec take milliseconds, and the first
     * tokens of a model would crawl), so call this once while loading a model, off the request path.
     *
     * @return whether both paths reached compiled speed within the budget
     */
    public static boolean warmUp(Int8Kernel kernel, QuantScheme scheme, Duration budget) {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(scheme, "scheme");
        long deadline = System.nanoTime() + budget.toNanos();
        Random random = new Random(1);
        float[] weights = new float[WARM_ROWS * WARM_COLS];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) random.nextGaussian();
        }
        QuantizedMatrix w = new Quantizer(scheme).quantize(weights, WARM_ROWS, WARM_COLS);
        float[] x = new float[4 * WARM_COLS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] y = new float[4 * WARM_ROWS];
        int fast = 0;
        while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            kernel.matmul(w, x, 1, y);
            long t1 = System.nanoTime();
            kernel.matmul(w, x, 4, y);
            long t2 = System.nanoTime();
            // Counted, not consecutive: on a shared machine a compiled call is sometimes preempted.
            if (t1 - t0 < WARM_CALL_NANOS && t2 - t1 < 4 * WARM_CALL_NANOS && ++fast >= 200) {
                return true;
            }
        }
        return false;
    }

    private static String reasonForScalar() {
        if (!vectorModulePresent()) {
            return "module " + VECTOR_MODULE + " is not in the boot layer";
        }
        return "the CPU offers fewer than 8 float lanes per vector";
    }

    /** Isolates every reference to the vector classes, so they load only after the module check passed. */
    private static final class VectorSupport {
        static boolean supported() {
            return VectorInt8Kernel.supported();
        }

        static Int8Kernel kernel() {
            return VectorInt8Kernel.INSTANCE;
        }

        static int lanes() {
            return VectorInt8Kernel.lanes();
        }
    }
}
