package dev.assistant.core.structured;

import java.util.Arrays;

/** Part-way through one of a literal node's texts: the options still matching and the bytes read. */
final class LiteralFrame extends Frame {
    private final LiteralNode node;
    private final int[] alive;
    private final int pos;

    LiteralFrame(LiteralNode node, int[] alive, int pos) {
        this.node = node;
        this.alive = alive;
        this.pos = pos;
    }

    @Override
    void step(int b, Stack rest, Configurations out) {
        int[] next = new int[alive.length];
        int n = 0;
        boolean longer = false;
        for (int i : alive) {
            byte[] o = node.options[i];
            if (o.length > pos && (o[pos] & 0xff) == b) {
                next[n++] = i;
                longer |= o.length > pos + 1;
            }
        }
        if (n == 0) {
            return;
        }
        if (!longer) {
            out.add(rest); // every matching option ends here
        } else {
            out.add(new Stack(new LiteralFrame(node, Arrays.copyOf(next, n), pos + 1), rest));
        }
    }

    @Override
    boolean endsImplicitly() {
        for (int i : alive) {
            if (node.options[i].length == pos) {
                return true;
            }
        }
        return false;
    }

    @Override
    long minBytesToEnd() {
        long min = Node.INFINITE;
        for (int i : alive) {
            min = Math.min(min, node.options[i].length - pos);
        }
        return min;
    }
}
