package dev.assistant.core.generation;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Chooses the next token from logits. Stateless apart from the injected random generator, so the same seed and
 * logits always give the same choice.
 */
public final class Sampler {
    private final SamplingParams params;
    private final RandomGenerator random;
    private final int limit;

    public Sampler(SamplingParams params, RandomGenerator random) {
        this(params, random, Integer.MAX_VALUE);
    }

    /** A sampler that only ever picks ids below {@code limit} (the ids the tokenizer can turn into text). */
    public Sampler(SamplingParams params, RandomGenerator random, int limit) {
        this.params = params;
        this.random = random;
        this.limit = limit;
    }

    /**
     * Compiles the fast path of draws without a cut (see {@link ExpSums#warmUp}): until then, draws compute the same
     * bits about 7x slower. The batching engine runs it on a thread of its own when the first such request arrives
     * (once per JVM); code that times draws elsewhere calls it first.
     *
     * @return whether draws take the Java Vector API path (needs {@code --add-modules jdk.incubator.vector})
     */
    public static boolean warmUp(java.time.Duration budget) {
        return ExpSums.warmUp(budget);
    }

    /**
     * The next token.
     *
     * @param logits  the model's logits; not modified
     * @param history tokens of the sequence so far (prompt and generated), for the repetition penalty
     */
    public int next(float[] logits, int[] history, int historyLength) {
        float[] scores = penalised(logits, history, historyLength);
        if (params.isGreedy()) {
            return argmax(scores);
        }
        return draw(scores);
    }

    /**
     * One draw. With a cut (top-k, top-p or min-p) it is the draw from {@link #candidates(float[])}: the same cuts
     * and the same walk from the most likely token down, reading the ranking only as far as needed instead of sorting
     * the whole vocabulary (the one difference is rounding: with top-k alone the kept mass is summed in id order).
     * Without a cut every token is a candidate and the order of the walk does not change the distribution, so it
     * walks in id order: the block sums of {@link ExpSums} locate the draw, then one block is walked.
     */
    private int draw(float[] scores) {
        return drawsFromWholeVocabulary(params) ? drawUnranked(scores) : drawRanked(scores);
    }

    /** Whether draws with {@code params} sample every token (temperature above 0, no top-k, top-p or min-p cut). */
    public static boolean drawsFromWholeVocabulary(SamplingParams params) {
        return !params.isGreedy() && params.topK() == 0 && params.topP() >= 1 && params.minP() == 0;
    }

    private int drawUnranked(float[] scores) {
        float max = ExpSums.max(scores);
        if (!Float.isFinite(max)) {
            return argmax(scores); // NaN or infinite scores (or all masked): no distribution to draw from
        }
        float inverseTemperature = (float) (1 / params.temperature());
        double[] blockSums = new double[ExpSums.blocks(scores.length)];
        double total = ExpSums.blockSums(scores, max, inverseTemperature, blockSums);
        double u = random.nextDouble() * total;
        int b = 0;
        while (b < blockSums.length - 1 && (u >= blockSums[b] || blockSums[b] == 0)) {
            u -= blockSums[b];
            b++;
        }
        int last = -1;
        double acc = 0;
        for (int i = b * ExpSums.BLOCK, end = Math.min(scores.length, i + ExpSums.BLOCK); i < end; i++) {
            float p = ExpSums.term(scores[i], max, inverseTemperature);
            if (p > 0) {
                acc += p;
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        // u fell past the block's last token by rounding: that token (or the best, if the block has no mass)
        return last >= 0 ? last : argmax(scores);
    }

    private int drawRanked(float[] scores) {
        int n = scores.length;
        double temperature = params.temperature();
        TokenRanking ranking = new TokenRanking(scores);
        int count = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        double max = scores[ranking.id(0)];
        double total = 0;
        if (count == n) {
            for (float score : scores) {
                total += Math.exp((score - max) / temperature);
            }
        } else {
            for (int i = 0; i < count; i++) {
                total += Math.exp((scores[ranking.id(i)] - max) / temperature);
            }
        }
        double threshold = params.minP() > 0 ? params.minP() : 0; // probs[0] is exp(0) = 1
        // The kept head: up to the top-p mass, then while at least min-p of the best; never past a zero probability.
        double kept = 0;
        int keep = 0;
        double topP = params.topP();
        while (keep < count) {
            double p = Math.exp((scores[ranking.id(keep)] - max) / temperature);
            if (keep > 0 && (p == 0 || p < threshold)) {
                break;
            }
            kept += p;
            keep++;
            if (topP < 1 && kept / total >= topP) {
                break;
            }
            if (topP >= 1 && threshold == 0) {
                // top-k alone: the kept mass is the total, and the walk below reads only as far as the draw
                keep = count;
                kept = total;
                break;
            }
        }
        double u = random.nextDouble() * kept;
        double acc = 0;
        int last = 0;
        for (int i = 0; i < keep; i++) {
            double p = Math.exp((scores[ranking.id(i)] - max) / temperature);
            if (p == 0) {
                break;
            }
            acc += p;
            last = i;
            if (u < acc) {
                return ranking.id(i);
            }
        }
        return ranking.id(last); // u fell past the last candidate by rounding
    }

    /**
     * The tokens sampling may pick from, most likely first, with their (unnormalised) probabilities, after the
     * repetition penalty, temperature, top-k, top-p and min-p.
     */
    public Candidates candidates(float[] logits, int[] history, int historyLength) {
        return candidates(penalised(logits, history, historyLength));
    }

    private float[] penalised(float[] logits, int[] history, int historyLength) {
        double penalty = params.repetitionPenalty();
        if (logits.length > limit) {
            logits = java.util.Arrays.copyOf(logits, limit);
        }
        if (penalty == 1 || historyLength == 0) {
            return logits;
        }
        float[] out = logits.clone();
        boolean[] seen = new boolean[out.length];
        for (int i = 0; i < historyLength; i++) {
            int id = history[i];
            if (id >= 0 && id < out.length && !seen[id]) {
                seen[id] = true;
                // CTRL-style penalty as in HuggingFace: shrink positive scores, grow negative ones.
                out[id] = out[id] > 0 ? (float) (out[id] / penalty) : (float) (out[id] * penalty);
            }
        }
        return out;
    }

    private Candidates candidates(float[] scores) {
        int n = scores.length;
        double temperature = params.isGreedy() ? 1 : params.temperature();
        int[] order = mostLikelyFirst(scores);
        int count = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        double max = scores[order[0]];
        double[] probs = new double[count];
        double total = 0;
        for (int i = 0; i < count; i++) {
            probs[i] = Math.exp((scores[order[i]] - max) / temperature);
            total += probs[i];
        }
        // Tokens of probability 0 (masked to negative infinity by a response format) can never be picked.
        while (count > 1 && probs[count - 1] == 0) {
            count--;
        }
        if (params.topP() < 1) {
            double acc = 0;
            int keep = count;
            for (int i = 0; i < count; i++) {
                acc += probs[i] / total;
                if (acc >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
            count = keep;
        }
        if (params.minP() > 0) {
            // min-p compares with the most likely token, which is probs[0] relative to the same normaliser.
            double threshold = params.minP() * probs[0];
            int keep = 1;
            while (keep < count && probs[keep] >= threshold) {
                keep++;
            }
            count = keep;
        }
        int[] ids = new int[count];
        double kept = 0;
        for (int i = 0; i < count; i++) {
            ids[i] = order[i];
            kept += probs[i];
        }
        return new Candidates(ids, Arrays.copyOf(probs, count), count, kept);
    }

    /**
     * Token ids by descending score, ties by ascending id (the order of a stable sort with
     * {@code Float.compare}).
     */
    static int[] mostLikelyFirst(float[] scores) {
        return new TokenRanking(scores).all();
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Tokens that may be sampled, most likely first, with unnormalised probabilities summing to {@code total}. */
    public record Candidates(int[] ids, double[] probs, int count, double total) {
    }
}
