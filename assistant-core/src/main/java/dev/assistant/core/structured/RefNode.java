package dev.assistant.core.structured;

/** A {@code $ref}: stands for a schema compiled later (so recursive schemas can refer to themselves). */
final class RefNode extends Node {
    private Node target;

    void resolve(Node target) {
        this.target = target;
    }

    @Override
    void begin(int b, Stack rest, Configurations out) {
        target.start(b, rest, out);
    }

    @Override
    long computeMinBytes() {
        return target == null ? INFINITE : target.minBytes();
    }
}
