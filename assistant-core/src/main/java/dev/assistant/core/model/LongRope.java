package dev.assistant.core.model;

import java.util.List;

/**
 * Phi-3's LongRoPE ({@code rope_scaling} type {@code longrope}, formerly {@code su}): each rotary frequency is divided
 * by a factor of its own, from {@code shortFactor} while a sequence stays within the context the model was trained
 * on and from {@code longFactor} beyond it, and cos/sin are multiplied by {@code attentionFactor}.
 *
 * @param shortFactor          head_dim / 2 divisors used up to {@code originalMaxPositions} positions
 * @param longFactor           head_dim / 2 divisors used beyond
 * @param originalMaxPositions {@code original_max_position_embeddings}
 * @param attentionFactor      {@code attention_factor}, by default {@code sqrt(1 + ln(s) / ln(original))} with
 *                             {@code s = max_position_embeddings / original} (1 when {@code s <= 1})
 */
public record LongRope(List<Double> shortFactor, List<Double> longFactor, int originalMaxPositions,
                       double attentionFactor) {

    public LongRope {
        shortFactor = List.copyOf(shortFactor);
        longFactor = List.copyOf(longFactor);
    }

    /**
     * The inverse frequencies {@code 1 / (factor_j * theta^(2j / headDim))} in float32, as PyTorch computes them, with
     * the long factors when {@code longContext}.
     */
    public float[] inverseFrequencies(double theta, int headDim, boolean longContext) {
        List<Double> factors = longContext ? longFactor : shortFactor;
        float[] inv = new float[headDim / 2];
        for (int j = 0; j < inv.length; j++) {
            float exponent = (float) (2 * j) / (float) headDim;
            float power = (float) Math.pow(theta, exponent);
            inv[j] = 1f / ((float) (double) factors.get(j) * power);
        }
        return inv;
    }

    /** Whether a sequence whose highest position in a pass is {@code lastPosition} uses the long factors (as HF). */
    public boolean longContext(int lastPosition) {
        return lastPosition + 1 > originalMaxPositions;
    }
}
