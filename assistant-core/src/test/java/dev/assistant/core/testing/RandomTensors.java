package dev.assistant.core.testing;

import dev.assistant.core.safetensors.SafetensorsWriter;

import java.util.SplittableRandom;

/**
 * The random tensors the architecture test models are made of, drawn in call order from one generator so a seed
 * always gives the same weights.
 */
final class RandomTensors {
    private RandomTensors() {
    }

    /** A [rows, cols] matrix, values uniform in [-bound, bound). */
    static void matrix(SafetensorsWriter w, SplittableRandom rng, String name, int rows, int cols, float bound) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1) * bound;
        }
        w.addF32(name, new long[]{rows, cols}, v);
    }

    /** A bias vector, values uniform in [-0.5, 0.5). */
    static void vector(SafetensorsWriter w, SplittableRandom rng, String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1) * 0.5f;
        }
        w.addF32(name, new long[]{n}, v);
    }

    /** An RMSNorm weight that multiplies by w: values in [0.5, 1.5). */
    static void norm(SafetensorsWriter w, SplittableRandom rng, String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (0.5 + rng.nextDouble());
        }
        w.addF32(name, new long[]{n}, v);
    }

    /** A Gemma RMSNorm weight, which multiplies by 1 + w: values in [-0.5, 0.5). */
    static void onePlusNorm(SafetensorsWriter w, SplittableRandom rng, String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextDouble() - 0.5);
        }
        w.addF32(name, new long[]{n}, v);
    }
}
