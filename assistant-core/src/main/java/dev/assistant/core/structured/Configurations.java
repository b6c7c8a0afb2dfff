package dev.assistant.core.structured;

import java.util.Arrays;

/**
 * The set of configurations the automaton may be in (more than one only while an {@code anyOf} is undecided).
 * Bounded: beyond {@link #LIMIT} configurations the extra ones are dropped, which only narrows the output (each
 * kept one is a valid way on).
 */
final class Configurations {
    static final int LIMIT = 32;
    private Stack[] items = new Stack[2];
    private int size;

    void add(Stack s) {
        if (size == LIMIT) {
            return;
        }
        if (size == items.length) {
            items = Arrays.copyOf(items, items.length * 2);
        }
        items[size++] = s;
    }

    int size() {
        return size;
    }

    Stack get(int i) {
        return items[i];
    }

    /** The configurations as an array (this object's own when it is full, to spare a copy on the hot path). */
    Stack[] toArray() {
        return size == items.length ? items : Arrays.copyOf(items, size);
    }
}
