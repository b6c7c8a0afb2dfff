package dev.assistant.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java Vector API kernel ({@code jdk.incubator.vector}). Only {@link Int8Kernels} refers to this class, and only
 * after checking that the module is in the boot layer, so the class is never loaded when the JVM lacks
 * {@code --add-modules jdk.incubator.vector}.
 *
 * <p>Activations stay float: each int8 weight vector is widened to float lanes ({@code B2F}) and multiplied into float
 * accumulators. (Quantizing activations per token to int8 was measured and lost: the Vector API has no int8 dot
 * product instruction on JDK 17, so int8 x int8 needs two widenings plus a multiply and an add per lane, more work
 * than one widening plus one FMA, for no saving in weight bytes. See the module README.)
 *
 * <p>Decode ({@code m < 4} rows): four weight rows at a time share each loaded activation vector, with two FMA chains
 * per row; per channel the row sum is scaled once, per group each widened vector is multiplied by its group's scale.
 * Each weight byte is read once. C2 needs loops without calls or tails to keep the vectors in registers (otherwise
 * it boxes them and runs 50x slower), hence the separate tail-free paths for the usual shapes. Prefill: 4 activation rows x 4
 * weight rows tiles, dequantizing each weight vector once for four activation rows, blocked over {@code K}
 * (at most {@value #MAX_KC} inputs) and {@code N}, so a tile's activations stay in L1 and a block of weights in L2.
 */
final class VectorInt8Kernel implements Int8Kernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Bytes with as many lanes as F: 16 bytes (128 bits) for 512-bit floats. */
    private static final VectorSpecies<Byte> B = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8))
            : null;
    /**
     * Longest K block in prefill: four activation rows of 1024 floats (16 KiB) fit L1 next to the weights. Shorter
     * blocks are multiples of 128, so they end on group boundaries.
     */
    static final int MAX_KC = 1024;
    /** Int8 weight bytes per prefill block: a quarter of this machine's 1 MiB L2, leaving room for activations. */
    static final long L2_WEIGHT_BYTES = 256 * 1024;

    static final VectorInt8Kernel INSTANCE = new VectorInt8Kernel();

    private VectorInt8Kernel() {
    }

    /** Needs at least 8 float lanes (so the byte vector is at least 64 bits): true on AVX2 and AVX-512. */
    static boolean supported() {
        return L >= 8;
    }

    static int lanes() {
        return L;
    }

    @Override
    public String name() {
        return "vector-" + F.vectorBitSize();
    }

    @Override
    public String toString() {
        return name();
    }

    @Override
    public void matmulRows(QuantizedMatrix w, float[] x, int m, float[] bias, float[] y, int rowStart, int rowEnd) {
        KernelArgs.check(w, x, m, bias, y, rowStart, rowEnd);
        if (m == 0 || rowStart == rowEnd) {
            return;
        }
        int rows = w.rows();
        for (int i = 0; i < m; i++) {
            int yBase = i * rows;
            for (int n = rowStart; n < rowEnd; n++) {
                y[yBase + n] = bias == null ? 0f : bias[n];
            }
        }
        int tiled = m < 4 ? 0 : m - (m & 3);
        if (tiled > 0) {
            prefill(w, x, tiled, y, rowStart, rowEnd);
        }
        for (int i = tiled; i < m; i++) {
            decodeRow(w, x, i, y, rowStart, rowEnd);
        }
    }

    private static FloatVector widen(byte[] q, int offset) {
        return (FloatVector) ByteVector.fromArray(B, q, offset).convertShape(VectorOperators.B2F, F, 0);
    }

    /** One activation row against weight rows [n0, n1), over all of K. */
    private static void decodeRow(QuantizedMatrix w, float[] x, int i, float[] y, int n0, int n1) {
        int cols = w.cols();
        int rows = w.rows();
        int xBase = i * cols;
        int yBase = i * rows;
        int n = n0;
        boolean even = w.groupSize() % (2 * L) == 0 && cols % (2 * L) == 0;
        for (; n + 4 <= n1; n += 4) {
            if (even && w.groupsPerRow() > 1) {
                rows4Grouped(w, x, xBase, n, y, yBase);
            } else if (even) {
                rows4Even(w, x, xBase, n, y, yBase);
            } else {
                rows4(w, x, xBase, n, 0, cols, y, yBase);
            }
        }
        for (; n < n1; n++) {
            y[yBase + n] += row1(w, x, xBase, n, 0, cols);
        }
    }

    /**
     * {@link #rows4} over all of K when every group is a whole number of double vectors (the common case: K and the
     * group size multiples of 32 with 512-bit vectors). No tails and no branches inside a group keep all sixteen
     * vectors in registers.
     */
    private static void rows4Even(QuantizedMatrix w, float[] x, int xBase, int n, float[] y, int yBase) {
        byte[] q = w.rawValues();
        float[] s = w.rawScales();
        int cols = w.cols();
        int gs = w.groupSize();
        int groups = w.groupsPerRow();
        int w0 = n * cols;
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int s0 = n * groups;
        int s1 = s0 + groups;
        int s2 = s1 + groups;
        int s3 = s2 + groups;
        FloatVector t0 = FloatVector.zero(F);
        FloatVector t1 = FloatVector.zero(F);
        FloatVector t2 = FloatVector.zero(F);
        FloatVector t3 = FloatVector.zero(F);
        for (int g = 0, k = 0; g < groups; g++) {
            int ke = Math.min(k + gs, cols);
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F);
            FloatVector b1 = FloatVector.zero(F);
            FloatVector b2 = FloatVector.zero(F);
            FloatVector b3 = FloatVector.zero(F);
            for (; k < ke; k += 2 * L) {
                FloatVector xv = FloatVector.fromArray(F, x, xBase + k);
                FloatVector xw = FloatVector.fromArray(F, x, xBase + k + L);
                a0 = widen(q, w0 + k).fma(xv, a0);
                a1 = widen(q, w1 + k).fma(xv, a1);
                a2 = widen(q, w2 + k).fma(xv, a2);
                a3 = widen(q, w3 + k).fma(xv, a3);
                b0 = widen(q, w0 + k + L).fma(xw, b0);
                b1 = widen(q, w1 + k + L).fma(xw, b1);
                b2 = widen(q, w2 + k + L).fma(xw, b2);
                b3 = widen(q, w3 + k + L).fma(xw, b3);
            }
            t0 = a0.add(b0).fma(FloatVector.broadcast(F, s[s0 + g]), t0);
            t1 = a1.add(b1).fma(FloatVector.broadcast(F, s[s1 + g]), t1);
            t2 = a2.add(b2).fma(FloatVector.broadcast(F, s[s2 + g]), t2);
            t3 = a3.add(b3).fma(FloatVector.broadcast(F, s[s3 + g]), t3);
        }
        y[yBase + n] += t0.reduceLanes(VectorOperators.ADD);
        y[yBase + n + 1] += t1.reduceLanes(VectorOperators.ADD);
        y[yBase + n + 2] += t2.reduceLanes(VectorOperators.ADD);
        y[yBase + n + 3] += t3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #rows4Even} for per-group scales: one flat loop over K that scales each widened weight vector by its
     * group's scale (a shift finds the group: group sizes are powers of two). Measured faster than per-group partial
     * sums, whose short inner loops C2 compiles poorly.
     */
    private static void rows4Grouped(QuantizedMatrix w, float[] x, int xBase, int n, float[] y, int yBase) {
        byte[] q = w.rawValues();
        float[] s = w.rawScales();
        int cols = w.cols();
        int shift = Integer.numberOfTrailingZeros(w.groupSize());
        int groups = w.groupsPerRow();
        int w0 = n * cols;
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int s0 = n * groups;
        int s1 = s0 + groups;
        int s2 = s1 + groups;
        int s3 = s2 + groups;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F);
        FloatVector b3 = FloatVector.zero(F);
        for (int k = 0; k < cols; k += 2 * L) {
            // Both halves lie in one group: groups are multiples of 2 * L here.
            int g = k >>> shift;
            FloatVector v0 = FloatVector.broadcast(F, s[s0 + g]);
            FloatVector v1 = FloatVector.broadcast(F, s[s1 + g]);
            FloatVector v2 = FloatVector.broadcast(F, s[s2 + g]);
            FloatVector v3 = FloatVector.broadcast(F, s[s3 + g]);
            FloatVector xv = FloatVector.fromArray(F, x, xBase + k);
            FloatVector xw = FloatVector.fromArray(F, x, xBase + k + L);
            a0 = widen(q, w0 + k).mul(v0).fma(xv, a0);
            a1 = widen(q, w1 + k).mul(v1).fma(xv, a1);
            a2 = widen(q, w2 + k).mul(v2).fma(xv, a2);
            a3 = widen(q, w3 + k).mul(v3).fma(xv, a3);
            b0 = widen(q, w0 + k + L).mul(v0).fma(xw, b0);
            b1 = widen(q, w1 + k + L).mul(v1).fma(xw, b1);
            b2 = widen(q, w2 + k + L).mul(v2).fma(xw, b2);
            b3 = widen(q, w3 + k + L).mul(v3).fma(xw, b3);
        }
        y[yBase + n] += a0.add(b0).reduceLanes(VectorOperators.ADD);
        y[yBase + n + 1] += a1.add(b1).reduceLanes(VectorOperators.ADD);
        y[yBase + n + 2] += a2.add(b2).reduceLanes(VectorOperators.ADD);
        y[yBase + n + 3] += a3.add(b3).reduceLanes(VectorOperators.ADD);
    }

    /** Adds sum over k in [ka, kb) of x[k] * w(n..n+3, k) to y[yBase + n .. n+3]. */
    private static void rows4(QuantizedMatrix w, float[] x, int xBase, int n, int ka, int kb, float[] y, int yBase) {
        byte[] q = w.rawValues();
        float[] s = w.rawScales();
        int cols = w.cols();
        int gs = w.groupSize();
        int groups = w.groupsPerRow();
        int w0 = n * cols;
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int s0 = n * groups;
        FloatVector t0 = FloatVector.zero(F);
        FloatVector t1 = FloatVector.zero(F);
        FloatVector t2 = FloatVector.zero(F);
        FloatVector t3 = FloatVector.zero(F);
        float r0 = 0f;
        float r1 = 0f;
        float r2 = 0f;
        float r3 = 0f;
        // The group index advances with the loop: an integer division per group would cost as much as the group.
        for (int ks = ka, g = ka / gs; ks < kb; g++) {
            int ke = Math.min((g + 1) * gs, kb);
            int kv = ks + ((ke - ks) / L) * L;
            float sc0 = s[s0 + g];
            float sc1 = s[s0 + groups + g];
            float sc2 = s[s0 + 2 * groups + g];
            float sc3 = s[s0 + 3 * groups + g];
            if (kv > ks) {
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = FloatVector.zero(F);
                FloatVector a2 = FloatVector.zero(F);
                FloatVector a3 = FloatVector.zero(F);
                int k = ks;
                if (kv - ks >= 2 * L) {
                    // Two independent chains per row: eight FMAs in flight cover the FMA latency.
                    FloatVector b0 = FloatVector.zero(F);
                    FloatVector b1 = FloatVector.zero(F);
                    FloatVector b2 = FloatVector.zero(F);
                    FloatVector b3 = FloatVector.zero(F);
                    for (; k + 2 * L <= kv; k += 2 * L) {
                        FloatVector xv = FloatVector.fromArray(F, x, xBase + k);
                        FloatVector xw = FloatVector.fromArray(F, x, xBase + k + L);
                        a0 = widen(q, w0 + k).fma(xv, a0);
                        a1 = widen(q, w1 + k).fma(xv, a1);
                        a2 = widen(q, w2 + k).fma(xv, a2);
                        a3 = widen(q, w3 + k).fma(xv, a3);
                        b0 = widen(q, w0 + k + L).fma(xw, b0);
                        b1 = widen(q, w1 + k + L).fma(xw, b1);
                        b2 = widen(q, w2 + k + L).fma(xw, b2);
                        b3 = widen(q, w3 + k + L).fma(xw, b3);
                    }
                    a0 = a0.add(b0);
                    a1 = a1.add(b1);
                    a2 = a2.add(b2);
                    a3 = a3.add(b3);
                }
                for (; k < kv; k += L) {
                    FloatVector xv = FloatVector.fromArray(F, x, xBase + k);
                    a0 = widen(q, w0 + k).fma(xv, a0);
                    a1 = widen(q, w1 + k).fma(xv, a1);
                    a2 = widen(q, w2 + k).fma(xv, a2);
                    a3 = widen(q, w3 + k).fma(xv, a3);
                }
                t0 = a0.fma(FloatVector.broadcast(F, sc0), t0);
                t1 = a1.fma(FloatVector.broadcast(F, sc1), t1);
                t2 = a2.fma(FloatVector.broadcast(F, sc2), t2);
                t3 = a3.fma(FloatVector.broadcast(F, sc3), t3);
            }
            if (kv < ke) {
                float p0 = 0f;
                float p1 = 0f;
                float p2 = 0f;
                float p3 = 0f;
                for (int k = kv; k < ke; k++) {
                    float xk = x[xBase + k];
                    p0 += xk * q[w0 + k];
                    p1 += xk * q[w1 + k];
                    p2 += xk * q[w2 + k];
                    p3 += xk * q[w3 + k];
                }
                r0 += p0 * sc0;
                r1 += p1 * sc1;
                r2 += p2 * sc2;
                r3 += p3 * sc3;
            }
            ks = ke;
        }
        y[yBase + n] += t0.reduceLanes(VectorOperators.ADD) + r0;
        y[yBase + n + 1] += t1.reduceLanes(VectorOperators.ADD) + r1;
        y[yBase + n + 2] += t2.reduceLanes(VectorOperators.ADD) + r2;
        y[yBase + n + 3] += t3.reduceLanes(VectorOperators.ADD) + r3;
    }

    /** Sum over k in [ka, kb) of x[xBase + k] * w(n, k). */
    private static float row1(QuantizedMatrix w, float[] x, int xBase, int n, int ka, int kb) {
        byte[] q = w.rawValues();
        float[] s = w.rawScales();
        int cols = w.cols();
        int gs = w.groupSize();
        int groups = w.groupsPerRow();
        int w0 = n * cols;
        int s0 = n * groups;
        FloatVector t0 = FloatVector.zero(F);
        float r0 = 0f;
        // The group index advances with the loop: an integer division per group would cost as much as the group.
        for (int ks = ka, g = ka / gs; ks < kb; g++) {
            int ke = Math.min((g + 1) * gs, kb);
            int kv = ks + ((ke - ks) / L) * L;
            float sc0 = s[s0 + g];
            if (kv > ks) {
                FloatVector a0 = FloatVector.zero(F);
                for (int k = ks; k < kv; k += L) {
                    a0 = widen(q, w0 + k).fma(FloatVector.fromArray(F, x, xBase + k), a0);
                }
                t0 = a0.fma(FloatVector.broadcast(F, sc0), t0);
            }
            if (kv < ke) {
                float p0 = 0f;
                for (int k = kv; k < ke; k++) {
                    p0 += x[xBase + k] * q[w0 + k];
                }
                r0 += p0 * sc0;
            }
            ks = ke;
        }
        return t0.reduceLanes(VectorOperators.ADD) + r0;
    }

    /** Whether the prefill tiles apply: every vector step lies inside one group, no scalar tails. */
    private static boolean tileable(QuantizedMatrix w) {
        return w.cols() % L == 0 && (w.scheme().isPerChannel() || w.groupSize() % L == 0);
    }

    /** The shift that maps an input index to its group: groups are powers of two; per channel everything is 0. */
    private static int groupShift(QuantizedMatrix w) {
        return w.scheme().isPerChannel() ? 31 : Integer.numberOfTrailingZeros(w.groupSize());
    }

    /** Activation rows [0, mRows) (a multiple of 4) against weight rows [n0, n1), blocked over K and m. */
    private static void prefill(QuantizedMatrix w, float[] x, int mRows, float[] y, int n0, int n1) {
        int cols = w.cols();
        int rows = w.rows();
        if (!tileable(w)) {
            // Odd K or group: no model has these; the decode path handles them correctly, one row at a time.
            for (int i = 0; i < mRows; i++) {
                decodeRow(w, x, i, y, n0, n1);
            }
            return;
        }
        // K blocks as long as possible (each block ends in one horizontal reduction per output, which costs as much
        // as ~15 vector FMAs on JDK 17) but short enough that four activation rows of a block stay in L1.
        int kBlocks = (cols + MAX_KC - 1) / MAX_KC;
        int kc = kBlocks == 1 ? cols : ((cols + kBlocks - 1) / kBlocks + 127) / 128 * 128;
        // Weight rows per block: their int8 values for one K block stay in L2 while every activation tile uses them.
        int nc = Math.max(4, (int) (L2_WEIGHT_BYTES / kc) & ~3);
        for (int kc0 = 0; kc0 < cols; kc0 += kc) {
            int kc1 = Math.min(kc0 + kc, cols);
            for (int nb = n0; nb < n1; nb += nc) {
                int nbEnd = Math.min(nb + nc, n1);
                int tiledEnd = nb + ((nbEnd - nb) & ~3);
                for (int i = 0; i < mRows; i += 4) {
                    for (int n = nb; n < tiledEnd; n += 4) {
                        tile4x4(w, x, i, n, kc0, kc1, y);
                    }
                    for (int n = tiledEnd; n < nbEnd; n++) {
                        for (int r = i; r < i + 4; r++) {
                            y[r * rows + n] += row1(w, x, r * cols, n, kc0, kc1);
                        }
                    }
                }
            }
        }
    }

    /**
     * Adds the [ka, kb) partial products of activation rows i..i+3 and weight rows n..n+3 into y. One flat loop with
     * no calls and no branches, so C2 keeps the 16 accumulators in registers (a tail call inside the loop made it
     * fall back to boxed vectors: 50x slower).
     */
    private static void tile4x4(QuantizedMatrix w, float[] x, int i, int n, int ka, int kb, float[] y) {
        byte[] q = w.rawValues();
        float[] s = w.rawScales();
        int cols = w.cols();
        int rows = w.rows();
        int shift = groupShift(w);
        int groups = w.groupsPerRow();
        int w0 = n * cols;
        int w1 = w0 + cols;
        int w2 = w1 + cols;
        int w3 = w2 + cols;
        int s0 = n * groups;
        int s1 = s0 + groups;
        int s2 = s1 + groups;
        int s3 = s2 + groups;
        int x0 = i * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector c00 = FloatVector.zero(F);
        FloatVector c01 = FloatVector.zero(F);
        FloatVector c02 = FloatVector.zero(F);
        FloatVector c03 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F);
        FloatVector c11 = FloatVector.zero(F);
        FloatVector c12 = FloatVector.zero(F);
        FloatVector c13 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F);
        FloatVector c21 = FloatVector.zero(F);
        FloatVector c22 = FloatVector.zero(F);
        FloatVector c23 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F);
        FloatVector c31 = FloatVector.zero(F);
        FloatVector c32 = FloatVector.zero(F);
        FloatVector c33 = FloatVector.zero(F);
        for (int k = ka; k < kb; k += L) {
            int g = k >>> shift;
            // Dequantize once, use for four activation rows.
            FloatVector d0 = widen(q, w0 + k).mul(FloatVector.broadcast(F, s[s0 + g]));
            FloatVector d1 = widen(q, w1 + k).mul(FloatVector.broadcast(F, s[s1 + g]));
            FloatVector d2 = widen(q, w2 + k).mul(FloatVector.broadcast(F, s[s2 + g]));
            FloatVector d3 = widen(q, w3 + k).mul(FloatVector.broadcast(F, s[s3 + g]));
            FloatVector xv = FloatVector.fromArray(F, x, x0 + k);
            c00 = d0.fma(xv, c00);
            c01 = d1.fma(xv, c01);
            c02 = d2.fma(xv, c02);
            c03 = d3.fma(xv, c03);
            xv = FloatVector.fromArray(F, x, x1 + k);
            c10 = d0.fma(xv, c10);
            c11 = d1.fma(xv, c11);
            c12 = d2.fma(xv, c12);
            c13 = d3.fma(xv, c13);
            xv = FloatVector.fromArray(F, x, x2 + k);
            c20 = d0.fma(xv, c20);
            c21 = d1.fma(xv, c21);
            c22 = d2.fma(xv, c22);
            c23 = d3.fma(xv, c23);
            xv = FloatVector.fromArray(F, x, x3 + k);
            c30 = d0.fma(xv, c30);
            c31 = d1.fma(xv, c31);
            c32 = d2.fma(xv, c32);
            c33 = d3.fma(xv, c33);
        }
        int y0 = i * rows + n;
        int y1 = y0 + rows;
        int y2 = y1 + rows;
        int y3 = y2 + rows;
        y[y0] += c00.reduceLanes(VectorOperators.ADD);
        y[y0 + 1] += c01.reduceLanes(VectorOperators.ADD);
        y[y0 + 2] += c02.reduceLanes(VectorOperators.ADD);
        y[y0 + 3] += c03.reduceLanes(VectorOperators.ADD);
        y[y1] += c10.reduceLanes(VectorOperators.ADD);
        y[y1 + 1] += c11.reduceLanes(VectorOperators.ADD);
        y[y1 + 2] += c12.reduceLanes(VectorOperators.ADD);
        y[y1 + 3] += c13.reduceLanes(VectorOperators.ADD);
        y[y2] += c20.reduceLanes(VectorOperators.ADD);
        y[y2 + 1] += c21.reduceLanes(VectorOperators.ADD);
        y[y2 + 2] += c22.reduceLanes(VectorOperators.ADD);
        y[y2 + 3] += c23.reduceLanes(VectorOperators.ADD);
        y[y3] += c30.reduceLanes(VectorOperators.ADD);
        y[y3 + 1] += c31.reduceLanes(VectorOperators.ADD);
        y[y3 + 2] += c32.reduceLanes(VectorOperators.ADD);
        y[y3 + 3] += c33.reduceLanes(VectorOperators.ADD);
    }
}
