package dev.assistant.quant;

/**
 * Chooses the scale of one output row (per-channel schemes): among {@code max|w| / 127} shrunk by 0, 1, 2, ... 30
 * percent, the one whose quantized values reproduce the row with the least squared error (on a tie, the larger scale),
 * searched coarse to fine: every 4%, then the 1% steps within 2% of the best of those.
 *
 * <p>Why: with {@code s = max|w| / 127} the largest weight of a row of thousands sets the resolution of all the others.
 * A slightly smaller scale clips that weight a little and rounds every other weight more finely, which usually lowers
 * the row's total error. Because the unshrunk scale is a candidate, the estimated error is never larger than without
 * the search. Groups of 32 to 128 weights are not searched: one outlier coarsens only its own group there, and on the
 * reference models the search changed none of their answers at 32 while making quantization five times slower (with
 * all 31 candidates; 12 now).
 *
 * <p>The error is estimated in float arithmetic written so that C2 vectorizes it (rounding with the 1.5 * 2^23 trick,
 * half to even; clamping with absolute values, exact for these small integers); a candidate costs about as much as
 * quantizing the row once more. The final values are then rounded with {@link Quantizer#quantizeValue}. The choice
 * depends only on the weights (strict Java float arithmetic, fixed summation order), so the same floats give the same
 * bytes on any JVM.
 */
final class ScaleSearch {
    /** Candidates after the unshrunk scale: up to 30 steps of 1%, down to 70% of it, visited 4% apart first. */
    private static final int STEPS = 30;
    private static final int COARSE = 4;
    private static final float STEP = 0.01f;
    /** Adding then subtracting 1.5 * 2^23 rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUND = 12582912f;

    private final float[] values;
    private final float[] squares;

    /** One instance per thread: it keeps two scratch arrays of {@code maxLength} floats. */
    ScaleSearch(int maxLength) {
        this.values = new float[maxLength];
        this.squares = new float[maxLength];
    }

    /** The chosen scale for {@code row[k0, k1)}, whose largest magnitude is {@code maxAbs} (finite). */
    float bestScale(float[] row, int k0, int k1, float maxAbs) {
        float full = Quantizer.scaleFor(maxAbs);
        if (full == 0f) {
            return 0f;
        }
        // A copy starting at index 0: C2 vectorizes the error loop only when its two arrays are indexed alike.
        int n = k1 - k0;
        System.arraycopy(row, k0, values, 0, n);
        // Coarse steps first, then the 1% steps next to the best of them: 12 candidates instead of 31, the same choice
        // wherever the error has one valley, and the unshrunk scale (step 0) is always tried.
        int bestStep = 0;
        float bestError = squaredError(n, full);
        for (int step = COARSE; step <= STEPS; step += COARSE) {
            float error = squaredError(n, scaleAt(full, step));
            if (error < bestError) {
                bestError = error;
                bestStep = step;
            }
        }
        int around = bestStep;
        for (int step = Math.max(1, around - COARSE / 2); step <= Math.min(STEPS, around + COARSE / 2); step++) {
            if (step % COARSE != 0) {
                float error = squaredError(n, scaleAt(full, step));
                if (error < bestError || (error == bestError && step < bestStep)) {
                    bestError = error;
                    bestStep = step;
                }
            }
        }
        return scaleAt(full, bestStep);
    }

    private static float scaleAt(float full, int step) {
        return full * (1f - step * STEP);
    }

    /** Squared error of quantizing {@code values[0, n)} with {@code scale}. */
    private float squaredError(int n, float scale) {
        float inverse = 1f / scale;
        float[] weights = values;
        float[] sq = squares;
        for (int i = 0; i < n; i++) {
            float w = weights[i];
            float q = (w * inverse + ROUND) - ROUND;
            float clamped = 0.5f * (Math.abs(q + 127f) - Math.abs(q - 127f));
            float d = w - scale * clamped;
            sq[i] = d * d;
        }
        // Eight running sums in a fixed order: C2 does not vectorize a float sum, but it overlaps independent ones.
        float e0 = 0f;
        float e1 = 0f;
        float e2 = 0f;
        float e3 = 0f;
        float e4 = 0f;
        float e5 = 0f;
        float e6 = 0f;
        float e7 = 0f;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            e0 += sq[i];
            e1 += sq[i + 1];
            e2 += sq[i + 2];
            e3 += sq[i + 3];
            e4 += sq[i + 4];
            e5 += sq[i + 5];
            e6 += sq[i + 6];
            e7 += sq[i + 7];
        }
        for (; i < n; i++) {
            e0 += sq[i];
        }
        return ((e0 + e1) + (e2 + e3)) + ((e4 + e5) + (e6 + e7));
    }
}
