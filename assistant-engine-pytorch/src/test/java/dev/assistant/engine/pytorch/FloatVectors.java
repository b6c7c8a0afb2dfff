package dev.assistant.engine.pytorch;

/** Comparisons of float vectors (logits, layer outputs) that the engine tests share. */
final class FloatVectors {
    private FloatVectors() {
    }

    /** The cosine of the angle between {@code a} and {@code b}, in double precision. */
    static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(a.length + " vs " + b.length + " values");
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
