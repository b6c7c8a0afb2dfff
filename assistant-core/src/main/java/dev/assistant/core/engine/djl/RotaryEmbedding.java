package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;

/**
 * Rotate-half rotary position embedding (RoPE), as Llama-family models apply it to queries and keys.
 *
 * <p>The factors of a forward pass are computed in Java for just its rows' positions (cheaper than indexing a table,
 * and no table of the whole context), with the attention scale {@code 1/sqrt(headDim)} folded into the queries'
 * factors: that saves a native call per layer.
 */
final class RotaryEmbedding {
    private final int headDim;
    private final float[] inverseFrequencies;
    private final NDArray rotateHalf;

    /** The factors of one forward pass, each [rows, 1, headDim]; the sines carry rotate-half's sign. */
    record Factors(NDArray queryCos, NDArray querySin, NDArray keyCos, NDArray keySin) {
    }

    /** {@code owner} keeps the permutation matrix of {@link #apply}. */
    RotaryEmbedding(NDManager owner, int headDim, float[] inverseFrequencies) {
        this.headDim = headDim;
        this.inverseFrequencies = inverseFrequencies.clone();
        this.rotateHalf = rotateHalfMatrix(owner, headDim);
    }

    /**
     * [headDim, headDim] permutation with {@code x @ P = [x2, x1]}: one exact matmul (a single non-zero per column)
     * instead of slicing and concatenating the halves, which costs more native calls per tensor.
     */
    private static NDArray rotateHalfMatrix(NDManager manager, int headDim) {
        int half = headDim / 2;
        float[] p = new float[headDim * headDim];
        for (int j = 0; j < half; j++) {
            p[(j + half) * headDim + j] = 1; // output column j takes input j + half
            p[j * headDim + j + half] = 1;   // output column j + half takes input j
        }
        return manager.create(p, new Shape(headDim, headDim));
    }

    /**
     * Factors for rows at {@code positions}: cos and signed sin for keys, and the same times {@code 1/sqrt(headDim)}
     * for queries. Each frequency is repeated for both halves (HF's {@code cat(freqs, freqs)}); the sin factor is
     * negated on the first half so that {@code x * cos + [x2, x1] * sin} is rotate-half RoPE.
     */
    Factors factors(NDManager scope, int[] positions) {
        int half = headDim / 2;
        int rows = positions.length;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int plane = rows * headDim;
        float[] f = new float[4 * plane];
        for (int r = 0; r < rows; r++) {
            int base = r * headDim;
            for (int j = 0; j < half; j++) {
                float angle = (float) positions[r] * inverseFrequencies[j]; // float32 product, as PyTorch computes it
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                f[base + j] = c;
                f[base + j + half] = c;
                f[plane + base + j] = -s;
                f[plane + base + j + half] = s;
                f[2 * plane + base + j] = c * scale;
                f[2 * plane + base + j + half] = c * scale;
                f[3 * plane + base + j] = -s * scale;
                f[3 * plane + base + j + half] = s * scale;
            }
        }
        Shape shape = new Shape(rows, 1, headDim);
        NDArray keyCos = scope.create(Arrays.copyOfRange(f, 0, plane), shape);
        NDArray keySin = scope.create(Arrays.copyOfRange(f, plane, 2 * plane), shape);
        NDArray queryCos = scope.create(Arrays.copyOfRange(f, 2 * plane, 3 * plane), shape);
        NDArray querySin = scope.create(Arrays.copyOfRange(f, 3 * plane, 4 * plane), shape);
        return new Factors(queryCos, querySin, keyCos, keySin);
    }

    /** {@code x * cos + [x2, x1] * signedSin} for x [rows, heads, headDim]. */
    NDArray apply(NDArray x, NDArray cos, NDArray signedSin) {
        return x.mul(cos).add(x.matMul(rotateHalf).mul(signedSin));
    }
}
