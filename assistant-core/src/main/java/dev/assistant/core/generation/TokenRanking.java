package dev.assistant.core.generation;

import java.util.Arrays;

/**
 * Token ids by descending score, ties by ascending id (the order of a stable sort with {@code Float.compare}), put in
 * order only as far as a caller reads. Sampling usually reads a short head of a 50k vocabulary (the draw stops at the
 * first token whose cumulative probability passes the random point), and sorting the whole vocabulary for every
 * sampled token cost more than the model's forward pass on a batch of eight rows. Here the best few hundred are
 * selected and sorted first, and the sorted prefix doubles whenever a reader goes past it.
 *
 * <p>Each (score, id) pair is packed into one long whose ascending order is the ranking, so selection and sorting
 * work on primitives. Not thread-safe; one instance per ranking.
 */
final class TokenRanking {
    private static final int FIRST_BLOCK = 256;
    private final long[] keys;
    private int sorted;

    TokenRanking(float[] scores) {
        keys = new long[scores.length];
        for (int i = 0; i < scores.length; i++) {
            int bits = Float.floatToIntBits(scores[i]);
            int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF); // signed-int order equals Float.compare order
            keys[i] = ((long) ~ordered << 32) | i;               // complemented: ascending key = descending score
        }
    }

    int size() {
        return keys.length;
    }

    /** The id at rank {@code rank} (0 = the highest score). */
    int id(int rank) {
        if (rank >= sorted) {
            sortThrough(rank);
        }
        return (int) keys[rank];
    }

    /** Every id in rank order. */
    int[] all() {
        sortThrough(keys.length - 1);
        int[] ids = new int[keys.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (int) keys[i];
        }
        return ids;
    }

    /** Extends the sorted prefix past {@code rank}: at least doubled, so reading k ranks costs O(n log k). */
    private void sortThrough(int rank) {
        int end = Math.min(keys.length, Math.max(rank + 1, Math.max(2 * sorted, FIRST_BLOCK)));
        if (end < keys.length) {
            select(keys, sorted, keys.length, end);
        }
        Arrays.sort(keys, sorted, end);
        sorted = end;
    }

    /**
     * Rearranges a[from, to) so that the keys before {@code k} are the smallest of the range (in any order): Hoare
     * partitions around a median of three. Keys are distinct (each holds its id). Past 2 log2(n) rounds (an input that
     * defeats the pivots) it sorts the rest of the range instead, so the worst case stays O(n log n).
     */
    static void select(long[] a, int from, int to, int k) {
        int lo = from;
        int hi = to - 1;
        int budget = 2 * (32 - Integer.numberOfLeadingZeros(Math.max(1, to - from)));
        while (hi - lo > 16) {
            if (budget-- == 0) {
                Arrays.sort(a, lo, hi + 1);
                return;
            }
            int mid = (lo + hi) >>> 1;
            long pivot = medianOfThree(a[lo], a[mid], a[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            // now a[lo..j] <= pivot <= a[i..hi], and any key between j and i equals the pivot
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return;
            }
        }
        Arrays.sort(a, lo, hi + 1);
    }

    private static long medianOfThree(long x, long y, long z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }
}
