package dev.assistant.core.structured;

/** Part-way through a number: the digits so far. Complete numbers end implicitly, on the next structural byte. */
final class NumberFrame extends Frame {
    private final NumberNode node;
    private final NumberNode.Digits digits;

    NumberFrame(NumberNode node, NumberNode.Digits digits) {
        this.node = node;
        this.digits = digits;
    }

    @Override
    void step(int b, Stack rest, Configurations out) {
        NumberNode.Digits next = digits.with(b);
        if (next != null && node.feasible(next)) {
            out.add(new Stack(new NumberFrame(node, next), rest));
        }
    }

    @Override
    boolean endsImplicitly() {
        return node.complete(digits);
    }

    @Override
    long minBytesToEnd() {
        long m = node.minExtra(digits);
        return m < 0 ? Node.INFINITE : m;
    }
}
