package dev.assistant.core.structured;

/** The document: a little leading whitespace, then one value of the root schema, then nothing. */
final class RootFrame extends Frame {
    private final Node root;
    private final boolean done;
    private final int whitespace;

    RootFrame(Node root, boolean done, int whitespace) {
        this.root = root;
        this.done = done;
        this.whitespace = whitespace;
    }

    boolean done() {
        return done;
    }

    @Override
    void step(int b, Stack rest, Configurations out) {
        if (done) {
            return;
        }
        if (isWhitespace(b)) {
            if (whitespace < Grammar.MAX_WHITESPACE) {
                out.add(new Stack(new RootFrame(root, false, whitespace + 1), rest));
            }
            return;
        }
        root.start(b, new Stack(new RootFrame(root, true, 0), rest), out);
    }

    @Override
    long minBytesToEnd() {
        return done ? 0 : root.minBytes();
    }
}
