package dev.assistant.core.model;

/**
 * How rotary position frequencies are adjusted for long contexts ({@code rope_scaling} in config.json).
 *
 * @param type                          {@code none}, {@code linear}, {@code llama3} or {@code longrope}
 * @param factor                        the scaling factor
 * @param lowFreqFactor                 llama3 only
 * @param highFreqFactor                llama3 only
 * @param originalMaxPositionEmbeddings llama3 and longrope
 * @param longRope                      longrope only (Phi-3): its per-frequency factors; null otherwise
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings, LongRope longRope) {
    public static final RopeScaling NONE = new RopeScaling("none", 1, 0, 0, 0, null);

    public RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                       int originalMaxPositionEmbeddings) {
        this(type, factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings, null);
    }

    /**
     * The inverse frequencies of a head of size {@code headDim}, computed in float32 as PyTorch does so logits match
     * reference implementations to the last bits that matter.
     */
    public float[] inverseFrequencies(double theta, int headDim) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int j = 0; j < half; j++) {
            float exponent = (float) (2 * j) / (float) headDim;
            inv[j] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        switch (type) {
            case "none":
                return inv;
            case "linear":
                for (int j = 0; j < half; j++) {
                    inv[j] = (float) (inv[j] / factor);
                }
                return inv;
            case "llama3":
                return llama3(inv);
            case "longrope":
                // the frequencies of a sequence within the trained context; engines pick the long ones by position
                return longRope.inverseFrequencies(theta, headDim, false);
            default:
                throw new IllegalStateException("validated at parse time: " + type);
        }
    }

    private float[] llama3(float[] inv) {
        double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
        double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
        float[] out = new float[inv.length];
        for (int j = 0; j < inv.length; j++) {
            double wavelen = 2 * Math.PI / inv[j];
            if (wavelen < highFreqWavelen) {
                out[j] = inv[j];
            } else if (wavelen > lowFreqWavelen) {
                out[j] = (float) (inv[j] / factor);
            } else {
                double smooth = (originalMaxPositionEmbeddings / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                out[j] = (float) ((1 - smooth) * inv[j] / factor + smooth * inv[j]);
            }
        }
        return out;
    }
}
