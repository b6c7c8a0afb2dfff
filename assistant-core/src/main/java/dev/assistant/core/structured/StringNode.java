package dev.assistant.core.structured;

/** A JSON string of {@code minLength} to {@code maxLength} characters (code points). */
final class StringNode extends Node {
    final int minLength;
    final int maxLength;

    StringNode(int minLength, int maxLength) {
        this.minLength = minLength;
        this.maxLength = maxLength;
    }

    @Override
    void begin(int b, Stack rest, Configurations out) {
        if (b == '"') {
            out.add(new Stack(StringFrame.open(this), rest));
        }
    }

    @Override
    long computeMinBytes() {
        return 2L + minLength;
    }
}
