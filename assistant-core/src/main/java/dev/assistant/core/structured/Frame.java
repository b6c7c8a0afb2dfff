package dev.assistant.core.structured;

/** The state of one open value (object, array, string, number, literal) or of the document. Immutable. */
abstract class Frame {
    /**
     * Adds the configurations reached by consuming {@code b} in this frame: the frame's successor on top of
     * {@code rest}, a child frame above that, or just {@code rest} when {@code b} closes the frame.
     */
    abstract void step(int b, Stack rest, Configurations out);

    /** Whether the value is complete yet could also continue (a number, a literal that a longer one extends). */
    boolean endsImplicitly() {
        return false;
    }

    /** The fewest bytes that close this frame, assuming the frames above it are closed. */
    abstract long minBytesToEnd();

    static boolean isWhitespace(int b) {
        return b == ' ' || b == '\n' || b == '\t';
    }
}
