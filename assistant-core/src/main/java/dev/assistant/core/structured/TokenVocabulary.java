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
    /** Tokens a JSON string takes whole, and how many characters each adds. */
    final int[] plainIds;
    final int[] plainChars;
    /** The plain tokens as a bit set over ids. */
    final long[] plainMask;
    final int maxPlainChars;
    /** Every token that is not plain. */
    final TokenTrie nonPlain;
    final int maxTokenBytes;

    TokenVocabulary(byte[][] tokenBytes) {
        this.bytes = tokenBytes;
        List<Integer> plain = new ArrayList<>();
        List<Integer> chars = new ArrayList<>();
        List<Integer> others = new ArrayList<>();
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
            int c = plainCharacters(anyString, b);
            if (c > 0) {
                plain.add(id);
                chars.add(c);
            } else {
                others.add(id);
            }
        }
        this.plainIds = plain.stream().mapToInt(Integer::intValue).toArray();
        this.plainChars = chars.stream().mapToInt(Integer::intValue).toArray();
        this.plainMask = new long[(tokenBytes.length + 63) / 64];
        int most = 0;
        for (int i = 0; i < plainIds.length; i++) {
            plainMask[plainIds[i] >>> 6] |= 1L << plainIds[i];
            most = Math.max(most, plainChars[i]);
        }
        this.maxPlainChars = most;
        this.maxTokenBytes = longest;
        this.all = new TokenTrie(tokenBytes, present.stream().mapToInt(Integer::intValue).toArray());
        this.nonPlain = new TokenTrie(tokenBytes, others.stream().mapToInt(Integer::intValue).toArray());
    }

    int size() {
        return bytes.length;
    }

    /** The characters {@code b} adds inside a string when it is plain, else 0. */
    private static int plainCharacters(StringNode anyString, byte[] b) {
        Frame f = StringFrame.open(anyString);
        for (byte x : b) {
            int v = x & 0xff;
            if (v == '"' || v == '\\') {
                return 0;
            }
            Configurations out = new Configurations();
            f.step(v, null, out);
            if (out.size() != 1) {
                return 0;
            }
            f = out.get(0).top;
        }
        StringFrame s = (StringFrame) f;
        return s.normal() ? s.count : 0;
    }
}
