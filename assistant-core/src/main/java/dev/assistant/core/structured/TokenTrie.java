package dev.assistant.core.structured;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The byte strings of a set of tokens as a trie, flattened in preorder: one walk that advances a grammar state
 * along each edge, and skips a whole subtree as soon as a byte is refused, finds every allowed token while sharing
 * the work of common prefixes.
 */
final class TokenTrie {
    /** The byte on the edge into each node (node 0 is the root). */
    private final byte[] label;
    private final int[] depth;
    /** The node after each node's subtree. */
    private final int[] skip;
    /** Tokens ending at each node: {@code tokens[tokenStart[n] .. tokenStart[n + 1])}. */
    private final int[] tokenStart;
    private final int[] tokens;
    private final int maxDepth;

    /** Receives each allowed token with the grammar state after it. */
    interface Visitor {
        void token(int id, ParserState after);
    }

    TokenTrie(byte[][] bytes, int[] ids) {
        Integer[] order = Arrays.stream(ids).filter(id -> bytes[id] != null && bytes[id].length > 0).boxed()
                .toArray(Integer[]::new);
        // Lexicographic order of the byte strings is the preorder of the trie: nodes are created in preorder.
        Arrays.sort(order, Comparator.comparing((Integer id) -> bytes[id], Arrays::compareUnsigned));
        int capacity = 1;
        for (int id : order) {
            capacity += bytes[id].length;
        }
        byte[] lab = new byte[capacity];
        int[] dep = new int[capacity];
        int[] skp = new int[capacity];
        int[] owner = new int[order.length];
        int[] path = new int[16];
        int nodes = 1;
        int pathLength = 0;
        byte[] previous = new byte[0];
        int maxDep = 0;
        for (int t = 0; t < order.length; t++) {
            byte[] b = bytes[order[t]];
            int common = 0;
            while (common < Math.min(pathLength, b.length) && previous[common] == b[common]) {
                common++;
            }
            for (int d = pathLength; d > common; d--) {
                skp[path[d]] = nodes; // the subtrees this token leaves end here
            }
            if (path.length < b.length + 1) {
                path = Arrays.copyOf(path, Math.max(b.length + 1, path.length * 2));
            }
            for (int d = common + 1; d <= b.length; d++) {
                lab[nodes] = b[d - 1];
                dep[nodes] = d;
                path[d] = nodes++;
            }
            pathLength = b.length;
            maxDep = Math.max(maxDep, b.length);
            previous = b;
            owner[t] = path[b.length];
        }
        for (int d = pathLength; d > 0; d--) {
            skp[path[d]] = nodes;
        }
        int[] start = new int[nodes + 1];
        for (int o : owner) {
            start[o + 1]++;
        }
        for (int n = 0; n < nodes; n++) {
            start[n + 1] += start[n];
        }
        int[] list = new int[order.length];
        for (int t = 0; t < order.length; t++) {
            list[t] = order[t]; // owners are non-decreasing, so tokens are already grouped by node
        }
        this.label = Arrays.copyOf(lab, nodes);
        this.depth = Arrays.copyOf(dep, nodes);
        this.skip = Arrays.copyOf(skp, nodes);
        this.tokenStart = start;
        this.tokens = list;
        this.maxDepth = maxDep;
    }

    int nodes() {
        return label.length;
    }

    /** Visits every token whose bytes {@code start} accepts, with the state after them. */
    void walk(ParserState start, Visitor visitor) {
        ParserState[] states = new ParserState[maxDepth + 1];
        states[0] = start;
        int n = label.length;
        int i = 1;
        while (i < n) {
            ParserState s = states[depth[i] - 1].advance(label[i] & 0xff);
            if (s == null) {
                i = skip[i];
                continue;
            }
            states[depth[i]] = s;
            for (int k = tokenStart[i]; k < tokenStart[i + 1]; k++) {
                visitor.token(tokens[k], s);
            }
            i++;
        }
    }
}
