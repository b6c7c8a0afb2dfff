package dev.assistant.core.structured;

import java.util.List;

/** A value of any of several schemas ({@code anyOf}, a list of types): every alternative is followed. */
final class AnyOfNode extends Node {
    private final Node[] alternatives;

    AnyOfNode(List<Node> alternatives) {
        this.alternatives = alternatives.toArray(Node[]::new);
    }

    @Override
    void begin(int b, Stack rest, Configurations out) {
        for (Node n : alternatives) {
            n.start(b, rest, out);
        }
    }

    @Override
    long computeMinBytes() {
        long min = INFINITE;
        for (Node n : alternatives) {
            min = Math.min(min, n.minBytes());
        }
        return min;
    }
}
