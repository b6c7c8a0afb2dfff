package dev.assistant.core.engine.djl;

/**
 * The layout of a ragged forward pass: segment {@code s} is {@code length(s)} consecutive rows of the batch that
 * extend the sequence whose cache is {@code cache(s)} from position {@code past(s)}. Immutable (the native forms of
 * its arrays are made once, on first use, by the one thread running the pass).
 */
final class Segments {
    private final KvCache[] caches;
    private final int[] past;
    private final int[] lengths;
    private final long[] cuts;
    private final int rows;
    private final int[] capacities;
    /** The native call's forms of several segments' caches, made on first use. */
    private long[] keyAddresses;
    private long[] valueAddresses;

    Segments(KvCache[] caches, int[] past, int[] lengths) {
        if (caches.length == 0 || caches.length != past.length || past.length != lengths.length) {
            throw new IllegalArgumentException("segments need matching, non-empty caches, positions and lengths");
        }
        this.caches = caches.clone();
        this.past = past.clone();
        this.lengths = lengths.clone();
        this.cuts = new long[caches.length - 1];
        this.capacities = new int[caches.length];
        for (int s = 0; s < caches.length; s++) {
            capacities[s] = caches[s].capacity();
        }
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

    /** Each segment's past length, for {@link NativeLlamaLayers}: the array itself, not to be modified. */
    int[] pastArray() {
        return past;
    }

    /** Each segment's length, for {@link NativeLlamaLayers}: the array itself, not to be modified. */
    int[] lengthArray() {
        return lengths;
    }

    /** Each segment's cache capacity, for {@link NativeLlamaLayers}: the array itself, not to be modified. */
    int[] capacities() {
        return capacities;
    }

    /**
     * The caches' key (or value) tensor addresses, segment-major ([segment * layers + layer]), for
     * {@link NativeLlamaLayers}: not to be modified. A single segment's are its cache's own array (a decode step
     * makes none).
     */
    long[] cacheAddresses(boolean keys) {
        if (caches.length == 1) {
            return keys ? caches[0].keyAddresses() : caches[0].valueAddresses();
        }
        long[] out = keys ? keyAddresses : valueAddresses;
        if (out == null) {
            int layers = caches[0].keyAddresses().length;
            out = new long[caches.length * layers];
            for (int s = 0; s < caches.length; s++) {
                System.arraycopy(keys ? caches[s].keyAddresses() : caches[s].valueAddresses(), 0, out, s * layers,
                        layers);
            }
            if (keys) {
                keyAddresses = out;
            } else {
                valueAddresses = out;
            }
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
