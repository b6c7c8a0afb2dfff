package dev.assistant.core.generation;

/**
 * The log-probability of a chosen token and of the most likely tokens at its position.
 *
 * @param id          the chosen token
 * @param logprob     its natural log-probability
 * @param topIds      the most likely tokens, most likely first
 * @param topLogprobs their log-probabilities
 */
public record TokenScores(int id, double logprob, int[] topIds, double[] topLogprobs) {
    public TokenScores {
        topIds = topIds.clone();
        topLogprobs = topLogprobs.clone();
    }

    @Override
    public int[] topIds() {
        return topIds.clone();
    }

    @Override
    public double[] topLogprobs() {
        return topLogprobs.clone();
    }

    /**
     * The log-softmax of {@code scores} at {@code chosen}, and the {@code top} most likely ids (ties by lower id).
     * Entries of negative infinity have probability 0 and are never listed.
     */
    static TokenScores of(float[] scores, int chosen, int top) {
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        for (float s : scores) {
            if (s != Float.NEGATIVE_INFINITY) {
                sum += Math.exp(s - max);
            }
        }
        double logZ = max + Math.log(sum);
        int[] ids = new int[top];
        int n = 0;
        for (int i = 0; i < scores.length && top > 0; i++) {
            float s = scores[i];
            if (s == Float.NEGATIVE_INFINITY || (n == top && s <= scores[ids[n - 1]])) {
                continue;
            }
            int at = n == top ? n - 1 : n++;
            while (at > 0 && scores[ids[at - 1]] < s) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
        }
        double[] lp = new double[n];
        for (int i = 0; i < n; i++) {
            lp[i] = scores[ids[i]] - logZ;
        }
        return new TokenScores(chosen, scores[chosen] - logZ, java.util.Arrays.copyOf(ids, n), lp);
    }
}
