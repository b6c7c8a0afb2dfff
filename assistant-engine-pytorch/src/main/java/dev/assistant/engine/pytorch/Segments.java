package dev.assistant.engine.pytorch;

/**
 * The layout of a ragged forward pass: segment {@code s} is {@code length(s)} consecutive rows of the batch that
 * extend the sequence whose cache is {@code cache(s)} from position {@code past(s)}. Immutable.
 */
final class Segments {
    private final KvCache[] caches;
    private final int[] past;
    private final int[] lengths;
    private final long[] cuts;
    private final int rows;

    Segments(KvCache[] caches, int[] past, int[] lengths) {
        if (caches.length == 0 || caches.length != past.length || past.length != lengths.length) {
            throw new IllegalArgumentException("segments need matching, non-empty caches, positions and lengths");
        }
        this.caches = caches.clone();
        this.past = past.clone();
        this.lengths = lengths.clone();
        this.cuts = new long[caches.length - 1];
        int total = 0;
        for (int s = 0; s < lengths.length; s++) {
            if (lengths[s] < 1) {
                throw new IllegalArgumentException("segment " + s + " is empty");
            }
            total += lengths[s];
            if (s < cuts.length) {
                cuts[s] = total;
            }
        }
        this.rows = total;
    }

    int count() {
        return caches.length;
    }

    KvCache cache(int s) {
        return caches[s];
    }

    int past(int s) {
        return past[s];
    }

    int length(int s) {
        return lengths[s];
    }

    /** Total rows. */
    int rows() {
        return rows;
    }

    /** Row offsets where segments 1.. start (the split points). */
    long[] cuts() {
        return cuts.clone();
    }

    /** Whether every segment is a single row (a pure decode step). */
    boolean singleRows() {
        return rows == caches.length;
    }

    /** Index of the last row of each segment. */
    long[] lastRows() {
        long[] out = new long[caches.length];
        int end = 0;
        for (int s = 0; s < lengths.length; s++) {
            end += lengths[s];
            out[s] = end - 1;
        }
        return out;
    }

    /** Absolute position of every row: segment s covers {@code [past(s), past(s) + length(s))}. */
    int[] positions() {
        int[] out = new int[rows];
        int r = 0;
        for (int s = 0; s < lengths.length; s++) {
            for (int i = 0; i < lengths[s]; i++) {
                out[r++] = past[s] + i;
            }
        }
        return out;
    }
}
