package dev.assistant.core.generation;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps the KV caches of finished requests so a later request whose prompt starts with the same tokens (a shared
 * system prompt, the earlier turns of a chat) evaluates only the rest. Each entry is a compact copy of a finished
 * sequence (capacity = its length) and the tokens it holds; a lookup compares tokens, never hashes, so a match is
 * always exact. Entries are evicted least recently used first, to stay within {@code maxBytes} and whenever the
 * scheduler needs the memory for running requests.
 *
 * <p>Lookup scans the entries: with entries of a few hundred to a few thousand tokens and at most a few hundred
 * entries in any realistic budget, comparing ints costs microseconds next to a forward pass.
 *
 * <p>Used by the engine thread only (not thread-safe); {@link #bytes()} is read under the engine's lock.
 */
final class PrefixCache implements AutoCloseable {
    /** Shortest match worth a copy: below this, evaluating the tokens again costs about as much. */
    static final int MIN_MATCH = 16;

    private record Entry(int[] tokens, Sequence sequence, long bytes) {
    }

    /** A cached prefix handed to a new request: its own sequence and how many prompt tokens it already holds. */
    record Hit(Sequence sequence, int tokens) {
    }

    private final CausalLanguageModel model;
    private final long maxBytes;
    // access order: the first entry is the least recently used
    private final LinkedHashMap<Entry, Boolean> entries = new LinkedHashMap<>(16, 0.75f, true);
    private volatile long bytes;

    PrefixCache(CausalLanguageModel model, long maxBytes) {
        this.model = model;
        this.maxBytes = maxBytes;
    }

    boolean enabled() {
        return maxBytes > 0;
    }

    /** Bytes of KV cache the entries hold. */
    long bytes() {
        return bytes;
    }

    int size() {
        return entries.size();
    }

    /**
     * A new sequence of {@code capacity} tokens holding the longest cached prefix of {@code prompt}, leaving at
     * least the prompt's last token to evaluate (its logits choose the first new token); empty when no entry shares
     * at least {@link #MIN_MATCH} tokens or the backend cannot copy a cache. Only entries no longer than
     * {@code capacity} qualify, as the copy holds a whole entry before it is cut back to the shared part.
     */
    Optional<Hit> lookup(int[] prompt, int capacity) {
        if (!enabled()) {
            return Optional.empty();
        }
        Entry best = null;
        int bestLength = 0;
        for (Entry e : entries.keySet()) {
            if (e.tokens.length > capacity) {
                continue; // a copy must hold the whole entry before it is cut back
            }
            int common = Math.min(commonPrefix(e.tokens, prompt), prompt.length - 1);
            if (common > bestLength) {
                best = e;
                bestLength = common;
            }
        }
        if (best == null || bestLength < MIN_MATCH) {
            return Optional.empty();
        }
        entries.get(best); // touch: most recently used
        Optional<Sequence> copy = best.sequence.fork(capacity);
        if (copy.isEmpty()) {
            return Optional.empty();
        }
        copy.get().truncate(bestLength);
        return Optional.of(new Hit(copy.get(), bestLength));
    }

    /**
     * Keeps a compact copy of {@code sequence}, which holds {@code tokens} (the caller still owns and closes it).
     * Entries that the new one extends are dropped; nothing is added when an entry already holds these tokens.
     * Failures (the backend cannot copy, memory) only mean nothing is cached.
     */
    void offer(Sequence sequence, int[] tokens) {
        if (!enabled() || tokens.length < MIN_MATCH || tokens.length != sequence.length()) {
            return;
        }
        long size = model.kvCacheBytes(tokens.length);
        if (size > maxBytes) {
            return;
        }
        List<Entry> superseded = new ArrayList<>();
        for (Entry e : entries.keySet()) {
            int common = commonPrefix(e.tokens, tokens);
            if (common == tokens.length) {
                entries.get(e); // already cached (as or within a longer entry): just mark it used
                return;
            }
            if (common == e.tokens.length) {
                superseded.add(e);
            }
        }
        Optional<Sequence> copy;
        try {
            copy = sequence.fork(tokens.length);
        } catch (RuntimeException | OutOfMemoryError e) {
            return;
        }
        if (copy.isEmpty()) {
            return;
        }
        for (Entry e : superseded) {
            remove(e);
        }
        Entry entry = new Entry(tokens.clone(), copy.get(), size);
        entries.put(entry, Boolean.TRUE);
        bytes += size;
        while (bytes > maxBytes && evictOldest()) {
            // keep evicting
        }
    }

    /** Frees the least recently used entry; false when there is none. */
    boolean evictOldest() {
        Iterator<Entry> it = entries.keySet().iterator();
        if (!it.hasNext()) {
            return false;
        }
        remove(it.next());
        return true;
    }

    private void remove(Entry e) {
        entries.remove(e);
        bytes -= e.bytes;
        e.sequence.close();
    }

    @Override
    public void close() {
        while (evictOldest()) {
            // free every entry
        }
    }

    static int commonPrefix(int[] a, int[] b) {
        int mismatch = Arrays.mismatch(a, b);
        return mismatch < 0 ? a.length : mismatch;
    }

    /** Tokens held by each entry, least recently used first (for tests). */
    List<int[]> contents() {
        List<int[]> out = new ArrayList<>();
        for (Map.Entry<Entry, Boolean> e : entries.entrySet()) {
            out.add(e.getKey().tokens.clone());
        }
        return out;
    }
}
