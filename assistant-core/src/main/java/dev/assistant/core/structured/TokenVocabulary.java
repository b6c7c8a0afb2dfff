package dev.assistant.core.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * The tables structured output needs for one tokenizer, built once: each token's bytes, a trie of all tokens,
 * and the split used inside strings, where almost every token is allowed: "plain" tokens (whole UTF-8 characters,
 * no quote, backslash or control character) that a string takes as they are, and a small trie of the others.
 */
final class TokenVocabulary {
    final byte[][] bytes;
    final TokenTrie all;
    /**
     * Tokens a JSON string (between characters) takes as they are: no quote, backslash or control character, valid
     * UTF-8 that may end part-way through a character. With the characters each adds (a partial one counted) and
     * the continuation bytes each leaves pending.
     */
    final int[] safeIds;
    final int[] safeChars;
    final int[] safePending;
    /** The safe tokens as a bit set over ids. */
    final long[] safeMask;
    final int maxSafeChars;
    final int maxSafePending;
    /** Tokens with a quote or a backslash: inside a string, only these need the grammar walk. */
    final TokenTrie quoting;
    final int maxTokenBytes;

    TokenVocabulary(byte[][] tokenBytes) {
        this.bytes = tokenBytes;
        List<int[]> safe = new ArrayList<>();
        List<Integer> quotingIds = new ArrayList<>();
        List<Integer> present = new ArrayList<>();
        StringNode anyString = new StringNode(0, Integer.MAX_VALUE);
        int longest = 0;
        for (int id = 0; id < tokenBytes.length; id++) {
            byte[] b = tokenBytes[id];
            if (b == null || b.length == 0) {
                continue;
            }
            present.add(id);
            longest = Math.max(longest, b.length);
            if (quotes(b)) {
                quotingIds.add(id);
                continue;
            }
            StringFrame after = inString(anyString, b);
            if (after != null) {
                safe.add(new int[]{id, after.count, after.normal() ? 0 : after.pending});
            } // else never valid between characters of a string (a stray continuation byte, a control character)
        }
        this.safeIds = new int[safe.size()];
        this.safeChars = new int[safe.size()];
        this.safePending = new int[safe.size()];
        this.safeMask = new long[(tokenBytes.length + 63) / 64];
        int most = 0;
        int pending = 0;
        for (int i = 0; i < safeIds.length; i++) {
            int[] t = safe.get(i);
            safeIds[i] = t[0];
            safeChars[i] = t[1];
            safePending[i] = t[2];
            safeMask[t[0] >>> 6] |= 1L << t[0];
            most = Math.max(most, t[1]);
            pending = Math.max(pending, t[2]);
        }
        this.maxSafeChars = most;
        this.maxSafePending = pending;
        this.maxTokenBytes = longest;
        this.all = new TokenTrie(tokenBytes, present.stream().mapToInt(Integer::intValue).toArray());
        this.quoting = new TokenTrie(tokenBytes, quotingIds.stream().mapToInt(Integer::intValue).toArray());
    }

    int size() {
        return bytes.length;
    }

    private static boolean quotes(byte[] b) {
        for (byte x : b) {
            if (x == '"' || x == '\\') {
                return true;
            }
        }
        return false;
    }

    /** The string frame after {@code b} from between two characters, or null if a string cannot take it. */
    private static StringFrame inString(StringNode anyString, byte[] b) {
        Frame f = StringFrame.open(anyString);
        for (byte x : b) {
            Configurations out = new Configurations();
            f.step(x & 0xff, null, out);
            if (out.size() != 1 || out.get(0) == null) {
                return null;
            }
            f = out.get(0).top;
        }
        return (StringFrame) f;
    }
}
