package dev.assistant.core.structured;

/**
 * One configuration of the pushdown automaton: the innermost frame on top, the enclosing ones below, the root at
 * the bottom. Immutable and shared between configurations (a persistent list), so advancing copies nothing.
 */
final class Stack {
    final Frame top;
    final Stack rest;

    Stack(Frame top, Stack rest) {
        this.top = top;
        this.rest = rest;
    }

    /** Adds to {@code out} every configuration reached by consuming {@code b}. */
    static void advance(Stack s, int b, Configurations out) {
        Frame f = s.top;
        f.step(b, s.rest, out);
        if (f.endsImplicitly()) {
            // A complete number (or literal that a longer one extends) may also end here: the byte goes to the parent.
            advance(s.rest, b, out);
        }
    }

    /** Whether the document may end in this configuration. */
    boolean accepting() {
        for (Stack s = this; s != null; s = s.rest) {
            if (s.top instanceof RootFrame root) {
                return root.done();
            }
            if (!s.top.endsImplicitly()) {
                return false;
            }
        }
        return false;
    }

    /** The fewest bytes that complete the document from here. */
    long minBytesToEnd() {
        long sum = 0;
        for (Stack s = this; s != null; s = s.rest) {
            sum += s.top.minBytesToEnd();
        }
        return sum;
    }
}
