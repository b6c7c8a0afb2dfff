package dev.assistant.core.structured;

import java.util.Arrays;

/**
 * A JSON object. With declared properties it is generated with those only, in declaration order (optional ones
 * may be skipped, required ones may not). Without, any keys are allowed, each with a value of {@code additional}
 * (or none at all when {@code additional} is null: only {@code {}}).
 */
final class ObjectNode extends Node {
    /** Free keys: any string. */
    static final StringNode KEY = new StringNode(0, Integer.MAX_VALUE);

    static {
        KEY.updateMinBytes();
    }

    /** Each declared key as its JSON text, quotes included. */
    final byte[][] keys;
    final Node[] values;
    final boolean[] required;
    final Node additional;
    /** Bytes that close the object when the next property would be the i-th, after at least one property. */
    private long[] closingAfter;
    /** Fewest bytes of the next property (key to value) and the close, after a comma, when it may be the i-th on. */
    private long[] nextAfterComma;

    ObjectNode(byte[][] keys, Node[] values, boolean[] required, Node additional) {
        this.keys = keys;
        this.values = values;
        this.required = required;
        this.additional = additional;
    }

    boolean freeKeys() {
        return keys.length == 0 && additional != null;
    }

    @Override
    void begin(int b, Stack rest, Configurations out) {
        if (b == '{') {
            out.add(new Stack(new ObjectFrame(this, ObjectFrame.OPEN, -1, null, 0, 0), rest));
        }
    }

    /** The properties that may come next when the i-th is the first not yet passed: up to the next required. */
    int[] candidates(int from) {
        int[] out = new int[keys.length - Math.min(from, keys.length)];
        int n = 0;
        for (int j = from; j < keys.length; j++) {
            if (values[j].minBytes() < INFINITE) {
                out[n++] = j;
            }
            if (required[j]) {
                break;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Fewest bytes of property {@code c} (key, colon, value) and what must follow it, comma before it excluded. */
    long propertyAndClose(int c) {
        return add(add(keys[c].length + 1L, values[c].minBytes()), closing(c + 1));
    }

    /** Bytes that close the object when the next property would be the i-th, after at least one property. */
    long closing(int from) {
        if (closingAfter != null) {
            return closingAfter[from];
        }
        for (int j = from; j < keys.length; j++) {
            if (required[j]) {
                return add(1, propertyAndClose(j));
            }
        }
        return 1;
    }

    /** After a comma: the fewest bytes of a next property from {@code from} on, and the close. */
    long afterComma(int from) {
        if (nextAfterComma != null) {
            return nextAfterComma[from];
        }
        long min = INFINITE;
        for (int c : candidates(from)) {
            min = Math.min(min, propertyAndClose(c));
        }
        return min;
    }

    /** Before any property: the first required one (or none) and the close. */
    long closingFromStart() {
        for (int j = 0; j < keys.length; j++) {
            if (required[j]) {
                return propertyAndClose(j);
            }
        }
        return 1;
    }

    @Override
    long computeMinBytes() {
        for (int j = 0; j < keys.length; j++) {
            if (required[j] && values[j].minBytes() >= INFINITE) {
                return INFINITE;
            }
        }
        return add(1, closingFromStart());
    }

    @Override
    void seal() {
        long[] closingArr = new long[keys.length + 1];
        long[] next = new long[keys.length + 1];
        for (int i = keys.length; i >= 0; i--) {
            closingArr[i] = closing(i);
            next[i] = afterComma(i);
        }
        closingAfter = closingArr;
        nextAfterComma = next;
    }
}
