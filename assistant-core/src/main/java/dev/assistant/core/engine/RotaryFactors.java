package dev.assistant.core.engine;

/**
 * Rotate-half rotary position embedding (RoPE) factors, as Llama-family models apply them to queries and keys,
 * computed for just the positions of a forward pass (no table of the whole context). Immutable.
 */
public final class RotaryFactors {
    private final int headDim;
    private final float[] inverseFrequencies;
    private final float[] longFrequencies;
    private final float attentionFactor;

    /** @param inverseFrequencies headDim / 2 frequencies (see {@code RopeScaling.inverseFrequencies}) */
    public RotaryFactors(int headDim, float[] inverseFrequencies) {
        this(headDim, inverseFrequencies, inverseFrequencies, 1f);
    }

    /**
     * LongRoPE's factors: rows marked long in {@link #keyFactors(int[], boolean[])} rotate by {@code longFrequencies},
     * and every cos/sin is multiplied by {@code attentionFactor}.
     */
    public RotaryFactors(int headDim, float[] inverseFrequencies, float[] longFrequencies, float attentionFactor) {
        if (inverseFrequencies.length != headDim / 2 || longFrequencies.length != headDim / 2) {
            throw new IllegalArgumentException(inverseFrequencies.length + " frequencies for head size " + headDim);
        }
        this.headDim = headDim;
        this.inverseFrequencies = inverseFrequencies.clone();
        this.longFrequencies = longFrequencies.clone();
        this.attentionFactor = attentionFactor;
    }

    /**
     * {@code [cos, signed sin]}, each [positions.length * headDim], for keys at {@code positions}. Each frequency is
     * repeated for both halves (HF's {@code cat(freqs, freqs)}); the sin factor is negated on the first half so
     * that {@code x * cos + [x2, x1] * sin} is rotate-half RoPE.
     */
    public float[][] keyFactors(int[] positions) {
        return keyFactors(positions, null);
    }

    /** As {@link #keyFactors(int[])}, row r with the long frequencies when {@code longRows[r]} (null: none). */
    public float[][] keyFactors(int[] positions, boolean[] longRows) {
        int half = headDim / 2;
        int plane = positions.length * headDim;
        float[] cos = new float[plane];
        float[] sin = new float[plane];
        for (int r = 0; r < positions.length; r++) {
            int base = r * headDim;
            float[] frequencies = longRows != null && longRows[r] ? longFrequencies : inverseFrequencies;
            for (int j = 0; j < half; j++) {
                float angle = (float) positions[r] * frequencies[j]; // float32 product, as PyTorch computes it
                float c = (float) Math.cos(angle) * attentionFactor;
                float s = (float) Math.sin(angle) * attentionFactor;
                cos[base + j] = c;
                cos[base + j + half] = c;
                sin[base + j] = -s;
                sin[base + j + half] = s;
            }
        }
        return new float[][]{cos, sin};
    }

    /** The queries' factors: {@code keyFactors} times the attention scale {@code 1/sqrt(headDim)}. */
    public float[] scaled(float[] keyFactors) {
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] out = new float[keyFactors.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = keyFactors[i] * scale;
        }
        return out;
    }
}
