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
        Candidates c = candidates(scores);
        double u = random.nextDouble() * c.total;
        double acc = 0;
        for (int i = 0; i < c.count; i++) {
            acc += c.probs[i];
            if (u < acc) {
                return c.ids[i];
            }
        }
        return c.ids[c.count - 1];
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
     * {@code Float.compare}). Each (score, id) pair is packed into one long so a primitive sort does the work: a
     * boxed sort with a comparator over a 50k vocabulary costs several milliseconds per sampled token.
     */
    static int[] mostLikelyFirst(float[] scores) {
        long[] keys = new long[scores.length];
        for (int i = 0; i < scores.length; i++) {
            int bits = Float.floatToIntBits(scores[i]);
            int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF); // signed-int order equals Float.compare order
            keys[i] = ((long) ~ordered << 32) | i;               // complemented: ascending sort = descending score
        }
        Arrays.sort(keys);
        int[] order = new int[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = (int) keys[i];
        }
        return order;
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
