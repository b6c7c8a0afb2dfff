package dev.assistant.core.generation;

import dev.assistant.api.AssistantException;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerTest {
    // probabilities at temperature 1 are proportional to exp(logit): roughly 0.64, 0.24, 0.09, 0.03, 0.004...
    private static final float[] LOGITS = {3f, 2f, 1f, 0f, -2f, -2.5f, -3f, -6f};
    private static final int[] NO_HISTORY = new int[0];

    private static Set<Integer> drawn(SamplingParams params, int draws) {
        Sampler sampler = new Sampler(params, new SplittableRandom(1));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < draws; i++) {
            seen.add(sampler.next(LOGITS, NO_HISTORY, 0));
        }
        return seen;
    }

    @Test
    void greedyPicksTheArgmax() {
        assertThat(new Sampler(SamplingParams.GREEDY, new SplittableRandom()).next(new float[]{0, 5, 9, 1}, NO_HISTORY, 0))
                .isEqualTo(2);
    }

    @Test
    void unrestrictedSamplingReachesUnlikelyTokens() {
        assertThat(drawn(SamplingParams.builder().temperature(1.5).build(), 5000)).hasSizeGreaterThan(5);
    }

    @Test
    void topKRestrictsToTheKMostLikely() {
        assertThat(drawn(SamplingParams.builder().temperature(1).topK(2).build(), 3000)).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // 0.64 < 0.8 <= 0.64 + 0.24: exactly tokens 0 and 1
        assertThat(drawn(SamplingParams.builder().temperature(1).topP(0.8).build(), 3000)).containsExactlyInAnyOrder(0, 1);
        Sampler.Candidates c = new Sampler(SamplingParams.builder().temperature(1).topP(0.95).build(), new SplittableRandom())
                .candidates(LOGITS, NO_HISTORY, 0);
        assertThat(c.ids()).containsExactly(0, 1, 2);
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        // exp(-1) = 0.37 and exp(-2) = 0.135 of the best: min_p 0.2 keeps tokens 0 and 1 only
        assertThat(drawn(SamplingParams.builder().temperature(1).minP(0.2).build(), 3000)).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void sameSeedSameSequenceDifferentSeedDifferentSequence() {
        SamplingParams p = SamplingParams.builder().temperature(2).build();
        int[] a = sequence(p, 11);
        assertThat(sequence(p, 11)).containsExactly(a);
        assertThat(sequence(p, 12)).isNotEqualTo(a);
    }

    private static int[] sequence(SamplingParams p, long seed) {
        Sampler s = new Sampler(p, new SplittableRandom(seed));
        int[] out = new int[64];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.next(LOGITS, NO_HISTORY, 0);
        }
        return out;
    }

    @Test
    void tokensMaskedToNegativeInfinityAreNeverDrawnAndNaNScoresDoNotBreakTheDraw() {
        float[] logits = new float[3000];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = i % 3 == 0 ? Float.NEGATIVE_INFINITY : (float) Math.sin(i);
        }
        Sampler sampler = new Sampler(SamplingParams.builder().temperature(1).build(), new SplittableRandom(4));
        for (int i = 0; i < 5000; i++) {
            assertThat(sampler.next(logits, NO_HISTORY, 0) % 3).isNotZero();
        }
        logits[10] = Float.NaN;
        int drawn = sampler.next(logits, NO_HISTORY, 0);
        assertThat(drawn).isBetween(0, logits.length - 1);
    }

    @Test
    void onlyATemperatureWithoutACutDrawsFromTheWholeVocabulary() {
        assertThat(Sampler.drawsFromWholeVocabulary(SamplingParams.builder().temperature(1).build())).isTrue();
        assertThat(Sampler.drawsFromWholeVocabulary(SamplingParams.GREEDY)).isFalse();
        assertThat(Sampler.drawsFromWholeVocabulary(SamplingParams.builder().temperature(1).topK(40).build())).isFalse();
        assertThat(Sampler.drawsFromWholeVocabulary(SamplingParams.builder().temperature(1).topP(0.9).build())).isFalse();
        assertThat(Sampler.drawsFromWholeVocabulary(SamplingParams.builder().temperature(1).minP(0.05).build())).isFalse();
    }

    @Test
    void repetitionPenaltyMakesSeenTokensLessLikely() {
        float[] logits = {2f, 1.9f, -1f};
        Sampler s = new Sampler(SamplingParams.builder().repetitionPenalty(1.5).build(), new SplittableRandom());
        assertThat(s.next(logits, new int[]{0}, 1)).isEqualTo(1); // 2 / 1.5 < 1.9
        assertThat(logits[0]).isEqualTo(2f); // caller's logits untouched
    }

    @Test
    void idsTheTokenizerCannotDecodeAreNeverSampled() {
        float[] logits = {1f, 2f, 3f, 9f, 8f}; // the model has 5 outputs, the tokenizer only 3 tokens
        assertThat(new Sampler(SamplingParams.GREEDY, new SplittableRandom(), 3).next(logits, NO_HISTORY, 0)).isEqualTo(2);
        Sampler hot = new Sampler(SamplingParams.builder().temperature(5).build(), new SplittableRandom(3), 3);
        for (int i = 0; i < 2000; i++) {
            assertThat(hot.next(logits, new int[]{4}, 1)).isLessThan(3);
        }
    }

    @Test
    void candidateOrderIsDescendingScoreThenAscendingIdLikeAStableFloatCompareSort() {
        java.util.Random rnd = new java.util.Random(5);
        float[] scores = new float[5000];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i % 7 == 0 ? 0f : i % 11 == 0 ? -0f : (float) Math.round(rnd.nextGaussian() * 20) / 4f;
        }
        scores[3] = Float.NEGATIVE_INFINITY;
        scores[4] = Float.POSITIVE_INFINITY;
        Integer[] expected = new Integer[scores.length];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = i;
        }
        java.util.Arrays.sort(expected, (a, b) -> Float.compare(scores[b], scores[a]));
        assertThat(Sampler.mostLikelyFirst(scores)).containsExactly(
                java.util.Arrays.stream(expected).mapToInt(Integer::intValue).toArray());
    }

    @Test
    void invalidParametersAreRejectedWhenSet() {
        assertThatThrownBy(() -> SamplingParams.builder().topP(0)).isInstanceOf(AssistantException.class);
        assertThatThrownBy(() -> SamplingParams.builder().temperature(-1)).isInstanceOf(AssistantException.class);
        assertThatThrownBy(() -> SamplingParams.builder().minP(1.5)).isInstanceOf(AssistantException.class);
        assertThatThrownBy(() -> SamplingParams.builder().topK(-3)).isInstanceOf(AssistantException.class);
    }

    /** Without a cut every token is a candidate: each must come up as often as its softmax probability. */
    @Test
    void unrestrictedDrawsFollowTheSoftmax() {
        double temperature = 0.8;
        SamplingParams p = SamplingParams.builder().temperature(temperature).build();
        float[] logits = new float[3000]; // three blocks of the draw, the last one partly filled
        for (int i = 0; i < logits.length; i++) {
            logits[i] = i % 1000 == 7 ? 4f : i == 2500 ? 5f : -3f;
        }
        double total = 0;
        for (float l : logits) {
            total += Math.exp(l / temperature);
        }
        Sampler sampler = new Sampler(p, new SplittableRandom(9));
        int draws = 40_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.next(logits, NO_HISTORY, 0)]++;
        }
        for (int id : new int[]{7, 1007, 2007, 2500}) {
            double expected = Math.exp(logits[id] / temperature) / total;
            assertThat(counts[id] / (double) draws).as("token %d", id).isCloseTo(expected, org.assertj.core.data.Offset.offset(0.012));
        }
        int rest = draws - counts[7] - counts[1007] - counts[2007] - counts[2500];
        double restExpected = 1 - (3 * Math.exp(4 / temperature) + Math.exp(5 / temperature)) / total;
        assertThat(rest / (double) draws).isCloseTo(restExpected, org.assertj.core.data.Offset.offset(0.012));
    }

    /** With a cut the draw reads the ranking lazily; it must pick what a walk over the fully sorted candidates picks. */
    @Test
    void drawsMatchAWalkOverTheFullySortedCandidates() {
        java.util.Random rnd = new java.util.Random(7);
        float[] logits = new float[20_000];
        SamplingParams[] settings = {
                SamplingParams.builder().temperature(0.7).topP(0.9).build(),
                SamplingParams.builder().temperature(1.3).topK(40).build(),
                SamplingParams.builder().temperature(1).minP(0.05).build(),
                SamplingParams.builder().temperature(0.8).topK(500).topP(0.95).minP(0.01).build()};
        for (SamplingParams p : settings) {
            for (int round = 0; round < 24; round++) {
                double spread = round % 2 == 0 ? 1 : 6; // flat and peaked distributions
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = (float) (rnd.nextGaussian() * spread);
                }
                logits[rnd.nextInt(logits.length)] = Float.NEGATIVE_INFINITY;
                long seed = rnd.nextLong();
                Sampler.Candidates c = new Sampler(p, new SplittableRandom(seed)).candidates(logits, NO_HISTORY, 0);
                double u = new SplittableRandom(seed).nextDouble() * c.total();
                double acc = 0;
                int expected = c.ids()[c.count() - 1];
                for (int i = 0; i < c.count(); i++) {
                    acc += c.probs()[i];
                    if (u < acc) {
                        expected = c.ids()[i];
                        break;
                    }
                }
                assertThat(new Sampler(p, new SplittableRandom(seed)).next(logits, NO_HISTORY, 0))
                        .as("%s, round %d", p, round).isEqualTo(expected);
            }
        }
    }

    @Test
    void selectionPutsTheSmallestKeysFirst() {
        java.util.Random rnd = new java.util.Random(3);
        for (int n : new int[]{1, 17, 100, 5000}) {
            for (int k : new int[]{0, 1, n / 3, n - 1}) {
                long[] a = rnd.longs(n).toArray();
                long[] sorted = a.clone();
                java.util.Arrays.sort(sorted);
                TokenRanking.select(a, 0, n, k);
                long[] head = java.util.Arrays.copyOf(a, k);
                java.util.Arrays.sort(head);
                assertThat(head).containsExactly(java.util.Arrays.copyOf(sorted, k));
            }
        }
    }
}
