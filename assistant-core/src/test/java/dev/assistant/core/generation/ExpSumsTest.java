package dev.assistant.core.generation;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The scalar exponentials and block sums of a draw (also run in a JVM without the Vector API module). */
class ExpSumsTest {

    @Test
    void expIsWithinThreeUlpsOfMathExpDownToWhereItFlushesToZero() {
        double worst = 0;
        for (float x = 0f; x > -86f; x -= 0.000731f) {
            double exact = Math.exp(x);
            double error = Math.abs(ExpSums.exp(x) - exact) / Math.ulp((float) exact);
            worst = Math.max(worst, error);
        }
        assertThat(worst).isLessThanOrEqualTo(3.0);
        assertThat(ExpSums.exp(0f)).isEqualTo(1f);
        assertThat(ExpSums.exp(-87f)).isZero(); // below 2^-125
        assertThat(ExpSums.exp(Float.NEGATIVE_INFINITY)).isZero(); // a token masked by a response format
        assertThat(ExpSums.exp(Float.NaN)).isZero();
    }

    @Test
    void blockSumsAddEveryTokensTermAndTheTotalIsTheirSum() {
        SplittableRandom random = new SplittableRandom(3);
        for (int n : new int[]{1, 15, 1024, 1025, 3000, 49_152}) {
            float[] scores = new float[n];
            for (int i = 0; i < n; i++) {
                scores[i] = (float) (random.nextGaussian() * 4);
            }
            if (n > 1) {
                scores[n / 2] = Float.NEGATIVE_INFINITY; // a masked token
            }
            float max = ExpSums.scalarMax(scores);
            float inverseTemperature = 1 / 0.7f;
            double[] sums = new double[ExpSums.blocks(n)];
            double total = ExpSums.scalarBlockSums(scores, max, inverseTemperature, sums);
            double expectedTotal = 0;
            for (int b = 0; b < sums.length; b++) {
                double expected = 0;
                for (int i = b * ExpSums.BLOCK; i < Math.min(n, (b + 1) * ExpSums.BLOCK); i++) {
                    expected += Math.exp((scores[i] - (double) max) / 0.7);
                }
                assertThat(sums[b]).as("n %d block %d", n, b).isCloseTo(expected, within(expected * 1e-5));
                expectedTotal += sums[b];
            }
            assertThat(total).isEqualTo(expectedTotal);
        }
    }

    /** Run with and without the Vector API module (the second surefire execution). */
    @Test
    void drawsTakeTheVectorPathAfterWarmUpExactlyWhenTheJvmHasTheModule() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean expected = module && VectorExpSums.supported(); // short-circuit: no vector class without the module
        assertThat(ExpSums.warmUp(java.time.Duration.ofSeconds(60))).isEqualTo(expected);
        assertThat(ExpSums.vectorized()).isEqualTo(expected);
    }

    @Test
    void maxFollowsMathMax() {
        assertThat(ExpSums.scalarMax(new float[]{-3f, 7.5f, 2f})).isEqualTo(7.5f);
        assertThat(ExpSums.scalarMax(new float[]{Float.NEGATIVE_INFINITY})).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(ExpSums.scalarMax(new float[]{1f, Float.NaN, 2f})).isNaN();
    }
}
