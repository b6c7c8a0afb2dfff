package dev.assistant.core.structured;

import java.util.List;

/** One of a fixed set of JSON texts: {@code enum}, {@code const}, {@code true}/{@code false}, {@code null}. */
final class LiteralNode extends Node {
    final byte[][] options;

    LiteralNode(List<byte[]> options) {
        this.options = options.toArray(byte[][]::new);
    }

    @Override
    void begin(int b, Stack rest, Configurations out) {
        new LiteralFrame(this, allOptions(), 0).step(b, rest, out);
    }

    private int[] allOptions() {
        int[] all = new int[options.length];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    @Override
    long computeMinBytes() {
        long min = INFINITE;
        for (byte[] o : options) {
            min = Math.min(min, o.length);
        }
        return min;
    }
}
