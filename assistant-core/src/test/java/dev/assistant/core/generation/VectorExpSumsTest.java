package dev.assistant.core.generation;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Vector API path gives the scalar path's bits, with vectors of 16 floats and of 8, so a seed draws the same
 * tokens with or without {@code --add-modules jdk.incubator.vector}. (Needs the module: not in the run without it.)
 */
class VectorExpSumsTest {
    /** 16-float vectors, then 8-float ones. */
    private static final boolean[] WIDTHS = {true, false};

    @Test
    void vectorsGiveTheScalarBitsForEveryWidthSizeAndTemperature() {
        SplittableRandom random = new SplittableRandom(17);
        for (int n : new int[]{1, 7, 16, 17, 1024, 1040, 3001, 49_152}) {
            float[] scores = new float[n];
            for (int i = 0; i < n; i++) {
                scores[i] = (float) (random.nextGaussian() * 6);
            }
            scores[random.nextInt(n)] = Float.NEGATIVE_INFINITY;
            for (float temperature : new float[]{0.05f, 0.7f, 1f, 3f}) {
                float max = ExpSums.scalarMax(scores);
                float inverse = 1 / temperature;
                double[] expected = new double[ExpSums.blocks(n)];
                double expectedTotal = ExpSums.scalarBlockSums(scores, max, inverse, expected);
                for (boolean wide : WIDTHS) {
                    assertThat(VectorExpSums.max(scores, wide)).isEqualTo(max);
                    double[] sums = new double[expected.length];
                    double total = VectorExpSums.blockSums(scores, max, inverse, sums, wide);
                    assertThat(sums).as("n %d, T %s, wide %s", n, temperature, wide).isEqualTo(expected);
                    assertThat(total).isEqualTo(expectedTotal);
                }
            }
        }
    }

    @Test
    void aNaNScoreMakesTheMaxNaNAsInTheScalarPath() {
        float[] scores = new float[40];
        scores[33] = Float.NaN;
        for (boolean wide : WIDTHS) {
            assertThat(VectorExpSums.max(scores, wide)).isNaN();
        }
    }
}
