package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.assistant.core.engine.RotaryFactors;
import dev.assistant.core.model.LongRope;
import dev.assistant.core.model.ModelConfig;

/**
 * Rotate-half rotary position embedding (RoPE), as Llama-family models apply it to queries and keys.
 *
 * <p>The factors of a forward pass are computed in Java for just its rows' positions (cheaper than indexing a table,
 * and no table of the whole context), with the attention scale {@code 1/sqrt(headDim)} folded into the queries'
 * factors: that saves a native call per layer.
 */
final class RotaryEmbedding {
    private final int headDim;
    private final RotaryFactors factors;
    private final NDArray rotateHalf;
    /** Phi-3's LongRoPE, which picks frequencies per sequence; null for plain RoPE. */
    private final LongRope longRope;

    /** The factors of one forward pass, each [rows, 1, headDim]; the sines carry rotate-half's sign. */
    record Factors(NDArray queryCos, NDArray querySin, NDArray keyCos, NDArray keySin) {
    }

    /** {@code owner} keeps the permutation matrix of {@link #apply}. */
    RotaryEmbedding(NDManager owner, int headDim, float[] inverseFrequencies) {
        this.headDim = headDim;
        this.factors = new RotaryFactors(headDim, inverseFrequencies);
        this.rotateHalf = rotateHalfMatrix(owner, headDim);
        this.longRope = null;
    }

    /** The rotation {@code config} asks for: its {@code rope_scaling}, LongRoPE included. */
    RotaryEmbedding(NDManager owner, ModelConfig config) {
        int dim = config.headDim();
        this.headDim = dim;
        this.longRope = config.ropeScaling().longRope();
        this.factors = longRope == null
                ? new RotaryFactors(dim, config.ropeScaling().inverseFrequencies(config.ropeTheta(), dim))
                : new RotaryFactors(dim, longRope.inverseFrequencies(config.ropeTheta(), dim, false),
                longRope.inverseFrequencies(config.ropeTheta(), dim, true), (float) longRope.attentionFactor());
        this.rotateHalf = rotateHalfMatrix(owner, dim);
    }

    /**
     * The positions of a pass's rows and, with LongRoPE, which rows rotate by the long factors: every row of a
     * sequence whose last position in the pass is beyond the trained context (what HuggingFace decides per forward
     * call; rows cached earlier keep the rotation they had).
     */
    private boolean[] longRows(Segments segments) {
        if (longRope == null) {
            return null;
        }
        boolean[] rows = new boolean[segments.positions().length];
        int at = 0;
        for (int s = 0; s < segments.count(); s++) {
            int length = segments.length(s);
            boolean useLong = longRope.longContext(segments.past(s) + length - 1);
            java.util.Arrays.fill(rows, at, at + length, useLong);
            at += length;
        }
        return rows;
    }

    /** {@link #factors(NDManager, int[])} for the rows of {@code segments}, LongRoPE's choice included. */
    Factors factors(NDManager scope, Segments segments) {
        return factors(scope, segments.positions(), longRows(segments));
    }

    /** {@link #stackedFactors(NDManager, int[], int, int)} for the rows of {@code segments}. */
    NDArray[] stackedFactors(NDManager scope, Segments segments, int heads, int kvHeads) {
        return stackedFactors(scope, segments.positions(), longRows(segments), heads, kvHeads);
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
        return factors(scope, positions, null);
    }

    private Factors factors(NDManager scope, int[] positions, boolean[] longRows) {
        int rows = positions.length;
        float[][] key = factors.keyFactors(positions, longRows);
        float[] queryCos = scaled(key[0]);
        float[] querySin = scaled(key[1]);
        Shape shape = new Shape(rows, 1, headDim);
        return new Factors(scope.create(queryCos, shape), scope.create(querySin, shape),
                scope.create(key[0], shape), scope.create(key[1], shape));
    }

    /**
     * The factors of {@link #factors} for the queries and keys of a fused q|k|v projection rotated together:
     * {@code [cos, sin]}, each [rows, heads + kvHeads, headDim], the first {@code heads} heads the queries' (scaled)
     * factors and the rest the keys'. One rotation of the joined q|k costs a layer half the operators of two;
     * per element the arithmetic is the same.
     */
    NDArray[] stackedFactors(NDManager scope, int[] positions, int heads, int kvHeads) {
        return stackedFactors(scope, positions, null, heads, kvHeads);
    }

    private NDArray[] stackedFactors(NDManager scope, int[] positions, boolean[] longRows, int heads, int kvHeads) {
        int rows = positions.length;
        float[][] key = factors.keyFactors(positions, longRows);
        float[][] query = {scaled(key[0]), scaled(key[1])};
        NDArray[] stacked = new NDArray[2];
        for (int which = 0; which < 2; which++) {
            float[] out = new float[rows * (heads + kvHeads) * headDim];
            int at = 0;
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads + kvHeads; h++, at += headDim) {
                    System.arraycopy(h < heads ? query[which] : key[which], r * headDim, out, at, headDim);
                }
            }
            stacked[which] = scope.create(out, new Shape(rows, heads + kvHeads, headDim));
        }
        return stacked;
    }

    /** {@code [cos, signed sin]}, each [rows * headDim], for keys at {@code positions}. */
    float[][] keyFactors(int[] positions) {
        return factors.keyFactors(positions);
    }

    private float[] scaled(float[] keyFactors) {
        return factors.scaled(keyFactors);
    }

    /** {@code x * cos + [x2, x1] * signedSin} for x [rows, heads, headDim]. */
    NDArray apply(NDArray x, NDArray cos, NDArray signedSin) {
        return x.mul(cos).add(x.matMul(rotateHalf).mul(signedSin));
    }
}
