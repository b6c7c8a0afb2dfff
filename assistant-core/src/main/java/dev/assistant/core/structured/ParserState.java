package dev.assistant.core.structured;

/**
 * Where a generation is in its grammar: the set of automaton configurations consistent with the bytes so far.
 * Immutable; {@link #advance} returns the state after one more byte, or null when the byte is not allowed.
 */
final class ParserState {
    private final Stack[] configurations;

    private ParserState(Stack[] configurations) {
        this.configurations = configurations;
    }

    static ParserState initial(RootFrame root) {
        return new ParserState(new Stack[]{new Stack(root, null)});
    }

    ParserState advance(int b) {
        Configurations out = new Configurations();
        for (Stack s : configurations) {
            Stack.advance(s, b, out);
        }
        return out.size() == 0 ? null : new ParserState(out.toArray());
    }

    /** The state after {@code bytes}, or null if they are not allowed. */
    ParserState advance(byte[] bytes) {
        ParserState s = this;
        for (int i = 0; i < bytes.length && s != null; i++) {
            s = s.advance(bytes[i] & 0xff);
        }
        return s;
    }

    boolean accepting() {
        for (Stack s : configurations) {
            if (s.accepting()) {
                return true;
            }
        }
        return false;
    }

    /** Whether no byte can follow (the document is closed). */
    boolean closed() {
        for (Stack s : configurations) {
            if (!(s.top instanceof RootFrame root && root.done())) {
                return false;
            }
        }
        return true;
    }

    long minBytesToEnd() {
        long min = Node.INFINITE;
        for (Stack s : configurations) {
            min = Math.min(min, s.minBytesToEnd());
        }
        return min;
    }

    /** The only configuration, when the state is not ambiguous; else null. */
    Stack single() {
        return configurations.length == 1 ? configurations[0] : null;
    }
}
