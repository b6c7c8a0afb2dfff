package dev.assistant.core.generation;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.assistant.core.generation.ExpSums.BLOCK;
import static dev.assistant.core.generation.ExpSums.C2;
import static dev.assistant.core.generation.ExpSums.C3;
import static dev.assistant.core.generation.ExpSums.C4;
import static dev.assistant.core.generation.ExpSums.C5;
import static dev.assistant.core.generation.ExpSums.C6;
import static dev.assistant.core.generation.ExpSums.FLOOR;
import static dev.assistant.core.generation.ExpSums.LANES;
import static dev.assistant.core.generation.ExpSums.LN2_HIGH;
import static dev.assistant.core.generation.ExpSums.LN2_LOW;
import static dev.assistant.core.generation.ExpSums.LOG2E;
import static dev.assistant.core.generation.ExpSums.ROUNDER;
import static dev.assistant.core.generation.ExpSums.ROUNDER_BITS;

/**
 * {@link ExpSums} on the Java Vector API: the same float operations as {@link ExpSums#exp} lane by lane, and the
 * same 16 lanes per block (one 512-bit vector, or two 256-bit ones), so the results are bit for bit the scalar ones.
 * Only loaded when the JVM has the {@code jdk.incubator.vector} module. Each width has its own loop with a constant
 * species: C2 only turns vector operations into instructions when it knows the species (a species passed as an
 * argument ran 5x slower).
 */
final class VectorExpSums {
    private static final VectorSpecies<Float> WIDE = FloatVector.SPECIES_512;
    private static final VectorSpecies<Float> NARROW = FloatVector.SPECIES_256;
    private static final boolean USE_WIDE = FloatVector.SPECIES_PREFERRED.length() >= LANES;

    private VectorExpSums() {
    }

    /** Vectors of at least 256 bits (AVX2, AVX-512, SVE 256+): narrower ones would not beat the scalar loop. */
    static boolean supported() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    }

    static float max(float[] scores) {
        return USE_WIDE ? max(scores, true) : max(scores, false);
    }

    static double blockSums(float[] scores, float max, float inverseTemperature, double[] sums) {
        return USE_WIDE ? blockSums(scores, max, inverseTemperature, sums, true)
                : blockSums(scores, max, inverseTemperature, sums, false);
    }

    /** {@link #max(float[])} with 16-float vectors ({@code wide}) or 8-float ones (tests run both). */
    static float max(float[] scores, boolean wide) {
        float max = wide ? wideMax(scores) : narrowMax(scores);
        int tail = scores.length - scores.length % (wide ? WIDE.length() : NARROW.length());
        for (int i = tail; i < scores.length; i++) {
            max = Math.max(max, scores[i]);
        }
        return max;
    }

    private static float wideMax(float[] scores) {
        FloatVector acc = FloatVector.broadcast(WIDE, Float.NEGATIVE_INFINITY);
        for (int i = 0, end = WIDE.loopBound(scores.length); i < end; i += WIDE.length()) {
            acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromArray(WIDE, scores, i));
        }
        return acc.reduceLanes(VectorOperators.MAX);
    }

    private static float narrowMax(float[] scores) {
        FloatVector acc = FloatVector.broadcast(NARROW, Float.NEGATIVE_INFINITY);
        for (int i = 0, end = NARROW.loopBound(scores.length); i < end; i += NARROW.length()) {
            acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromArray(NARROW, scores, i));
        }
        return acc.reduceLanes(VectorOperators.MAX);
    }

    /** {@link #blockSums(float[], float, float, double[])} with one 16-float vector or two 8-float ones per step. */
    static double blockSums(float[] scores, float max, float inverseTemperature, double[] sums, boolean wide) {
        float[] lanes = new float[LANES];
        double total = 0;
        for (int b = 0; b < sums.length; b++) {
            int begin = b * BLOCK;
            int end = Math.min(scores.length, begin + BLOCK);
            int whole = begin + (end - begin) / LANES * LANES;
            if (wide) {
                wideLanes(scores, begin, whole, max, inverseTemperature, lanes);
            } else {
                narrowLanes(scores, begin, whole, max, inverseTemperature, lanes);
            }
            for (int i = whole; i < end; i++) {
                lanes[i % LANES] += ExpSums.term(scores[i], max, inverseTemperature);
            }
            sums[b] = ExpSums.sumLanes(lanes);
            total += sums[b];
        }
        return total;
    }

    private static void wideLanes(float[] scores, int begin, int end, float max, float inverseTemperature,
                                  float[] lanes) {
        FloatVector acc = FloatVector.zero(WIDE);
        for (int i = begin; i < end; i += LANES) {
            acc = acc.add(exp(FloatVector.fromArray(WIDE, scores, i).sub(max).mul(inverseTemperature)));
        }
        acc.intoArray(lanes, 0);
    }

    private static void narrowLanes(float[] scores, int begin, int end, float max, float inverseTemperature,
                                    float[] lanes) {
        FloatVector low = FloatVector.zero(NARROW);
        FloatVector high = FloatVector.zero(NARROW);
        for (int i = begin; i < end; i += LANES) {
            low = low.add(exp(FloatVector.fromArray(NARROW, scores, i).sub(max).mul(inverseTemperature)));
            high = high.add(exp(FloatVector.fromArray(NARROW, scores, i + 8).sub(max).mul(inverseTemperature)));
        }
        low.intoArray(lanes, 0);
        high.intoArray(lanes, 8);
    }

    /** {@link ExpSums#exp}, lane by lane. */
    private static FloatVector exp(FloatVector x) {
        FloatVector y = x.mul(LOG2E);
        VectorMask<Float> kept = y.compare(VectorOperators.GE, FLOOR);
        FloatVector shifted = y.add(ROUNDER);
        FloatVector n = shifted.sub(ROUNDER);
        FloatVector r = x.sub(n.mul(LN2_HIGH)).sub(n.mul(LN2_LOW));
        FloatVector p = r.mul(C6).add(C5).mul(r).add(C4).mul(r).add(C3).mul(r).add(C2).mul(r).add(1f).mul(r).add(1f);
        IntVector exponent = ((IntVector) shifted.reinterpretAsInts()).sub(ROUNDER_BITS).lanewise(VectorOperators.LSHL, 23);
        FloatVector e = ((IntVector) p.reinterpretAsInts()).add(exponent).reinterpretAsFloats();
        return e.blend(0f, kept.not());
    }
}
