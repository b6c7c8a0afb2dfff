package dev.assistant.core.generation;

/**
 * The exponentials behind a draw at temperature T from the whole vocabulary: {@code exp((s - max) / T)} per token and
 * their sums per block of {@link #BLOCK} tokens. At 49,152 tokens this ran one {@link Math#exp} per token, about
 * 0.28 ms per row, a fifth of an 8-row decode step; a draw now costs 0.03 ms on the Vector API path (0.21 ms on the
 * scalar one).
 *
 * <p>The exponential is a float approximation ({@link #exp}, within 3 units in the last place of {@code Math.exp}
 * rounded to float), and each block is summed in 16 float lanes (token i into lane {@code i % 16}) that are then
 * added in lane order in double. That order is fixed so that the Java Vector API path (when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, as the CLI and the tests do) and the scalar path give the same bits:
 * a seed picks the same tokens with or without the flag. Only the vector class touches the incubator module, and it
 * is loaded only when the module is present; draws use it once {@link #warmUp} has compiled it.
 */
final class ExpSums {
    /** Tokens per block: the block sums locate a draw, then one block is walked. A multiple of {@link #LANES}. */
    static final int BLOCK = 1024;
    /** Float lanes of a block's sum. */
    static final int LANES = 16;

    static final float LOG2E = 1.44269504f;
    // ln 2 in two parts: n * LN2_HIGH is exact for |n| < 2^15, so x - n ln 2 keeps x's precision
    static final float LN2_HIGH = 0.693359375f;
    static final float LN2_LOW = -2.12194440e-4f;
    /** Adding it rounds a float in [-2^22, 2^22] to an integer held in the low bits of the sum. */
    static final float ROUNDER = 12582912f; // 1.5 * 2^23
    static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** Below 2^-125 a probability is flushed to 0 (it is under 1e-37 of the most likely token's). */
    static final float FLOOR = -125f;
    // e^r on [-ln 2 / 2, ln 2 / 2]: Taylor terms 1 / k!, relative error under 1.2e-7
    static final float C2 = 1 / 2f;
    static final float C3 = 1 / 6f;
    static final float C4 = 1 / 24f;
    static final float C5 = 1 / 120f;
    static final float C6 = 1 / 720f;

    private ExpSums() {
    }

    /**
     * {@code e^x} for {@code x <= 0} (0 below about {@code e^-86.6}, and for negative infinity and NaN):
     * {@code 2^n * e^r} with {@code n} the nearest integer to {@code x log2 e}, {@code r = x - n ln 2} and
     * {@code e^r} a polynomial. Plain float multiplications and additions in a fixed order (no fused multiply-add), so
     * every JVM and the vector lanes give the same bits.
     */
    static float exp(float x) {
        float y = x * LOG2E;
        if (!(y >= FLOOR)) {
            return 0f;
        }
        float shifted = y + ROUNDER;
        float n = shifted - ROUNDER;
        float r = x - n * LN2_HIGH - n * LN2_LOW;
        float p = (((((C6 * r + C5) * r + C4) * r + C3) * r + C2) * r + 1f) * r + 1f;
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + ((Float.floatToRawIntBits(shifted) - ROUNDER_BITS) << 23));
    }

    /** The largest score ({@link Math#max} semantics: NaN if any score is NaN). */
    static float max(float[] scores) {
        return vectorized() ? VectorExpSums.max(scores) : scalarMax(scores);
    }

    /**
     * Fills {@code sums[b]} with the sum of {@code exp((scores[i] - max) * inverseTemperature)} over block b and
     * returns their total. {@code max} must be finite and at least every score.
     */
    static double blockSums(float[] scores, float max, float inverseTemperature, double[] sums) {
        return vectorized() ? VectorExpSums.blockSums(scores, max, inverseTemperature, sums)
                : scalarBlockSums(scores, max, inverseTemperature, sums);
    }

    /** One token's term of {@link #blockSums}. */
    static float term(float score, float max, float inverseTemperature) {
        return exp((score - max) * inverseTemperature);
    }

    static float scalarMax(float[] scores) {
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        return max;
    }

    static double scalarBlockSums(float[] scores, float max, float inverseTemperature, double[] sums) {
        float[] lanes = new float[LANES];
        double total = 0;
        for (int b = 0; b < sums.length; b++) {
            java.util.Arrays.fill(lanes, 0f);
            for (int i = b * BLOCK, end = Math.min(scores.length, i + BLOCK); i < end; i++) {
                lanes[i % LANES] += term(scores[i], max, inverseTemperature);
            }
            sums[b] = sumLanes(lanes);
            total += sums[b];
        }
        return total;
    }

    /** A block's lanes added in lane order, in double. */
    static double sumLanes(float[] lanes) {
        double sum = 0;
        for (float lane : lanes) {
            sum += lane;
        }
        return sum;
    }

    /** Blocks of {@code n} tokens. */
    static int blocks(int n) {
        return (n + BLOCK - 1) / BLOCK;
    }

    /** Whether draws take the Vector API path: module present, vectors of at least 256 bits, and warmed up. */
    static boolean vectorized() {
        return warm;
    }

    /** Set once {@link #warmUp} saw the vector path run at compiled speed; the scalar path (same bits) until then. */
    private static volatile boolean warm;

    /** Consecutive fast calls that make the vector path warm. */
    private static final int FAST_CALLS = 3;

    /**
     * Compiles the vector path, once per JVM, before draws use it. Vector API code is 20-50x slower than the scalar
     * loop until C2 compiles it (about a thousand calls; a C1-compiled caller was measured at 2.5x slower than
     * scalar), so it is run here on a synthetic row, timed against the scalar path on the same row, until it is 3x
     * faster on {@value #FAST_CALLS} calls in a row (about 1 s of one core) or the budget runs out, in which case
     * draws keep the scalar path. Returns at once when already warm or when the JVM has no vector module, and
     * early when the calling thread is interrupted.
     *
     * @return whether draws now take the vector path
     */
    static boolean warmUp(java.time.Duration budget) {
        if (!needsWarmUp()) {
            return warm;
        }
        float[] row = new float[8 * BLOCK];
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) Math.sin(i) * 4;
        }
        double[] sums = new double[blocks(row.length)];
        long deadline = System.nanoTime() + budget.toNanos();
        int fast = 0;
        while (fast < FAST_CALLS && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
            long start = System.nanoTime();
            scalarBlockSums(row, scalarMax(row), 1f, sums);
            long scalar = System.nanoTime() - start;
            start = System.nanoTime();
            VectorExpSums.blockSums(row, VectorExpSums.max(row), 1f, sums);
            long vector = System.nanoTime() - start;
            fast = 3 * vector < scalar ? fast + 1 : 0;
        }
        warm = fast == FAST_CALLS;
        return warm;
    }

    /** Whether {@link #warmUp} has work to do: the JVM has the vector path and it is not warm yet. */
    static boolean needsWarmUp() {
        return !warm && VectorPath.AVAILABLE;
    }

    /** Decided once: a JVM without the module never loads {@link VectorExpSums}. */
    private static final class VectorPath {
        static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                && VectorExpSums.supported();
    }
}
