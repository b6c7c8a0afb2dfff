package dev.assistant.core.structured;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A JSON number (or integer) within optional bounds, written without exponent and with at most
 * {@link #MAX_INT_DIGITS} integer and {@link #MAX_FRACTION_DIGITS} fraction digits, so every number ends.
 * Each byte is allowed only if some completion of the digits so far lies within the bounds, so generation never
 * writes a number it cannot finish.
 */
final class NumberNode extends Node {
    static final int MAX_INT_DIGITS = 15;
    static final int MAX_FRACTION_DIGITS = 9;

    final boolean integer;
    /** The smallest step between numbers this node writes: 1, or one unit of the last fraction digit. */
    private final BigDecimal step;
    /** The bounds, inclusive and rounded inward onto the grid of {@link #step} (null: unbounded). */
    private final BigDecimal low;
    private final BigDecimal high;

    NumberNode(boolean integer, BigDecimal min, boolean minExclusive, BigDecimal max, boolean maxExclusive) {
        this.integer = integer;
        int scale = integer ? 0 : MAX_FRACTION_DIGITS;
        this.step = BigDecimal.ONE.movePointLeft(scale);
        this.low = min == null ? null : onGrid(min, scale, RoundingMode.CEILING, minExclusive ? step : null);
        this.high = max == null ? null : onGrid(max, scale, RoundingMode.FLOOR, maxExclusive ? step.negate() : null);
    }

    /** {@code v} rounded onto the grid; an exclusive bound moves one step inward when it lies on the grid. */
    private static BigDecimal onGrid(BigDecimal v, int scale, RoundingMode mode, BigDecimal exclusiveStep) {
        BigDecimal g = v.setScale(scale, mode);
        return exclusiveStep != null && g.compareTo(v) == 0 ? g.add(exclusiveStep) : g;
    }

    boolean bounded() {
        return low != null || high != null;
    }

    @Override
    void begin(int b, Stack rest, Configurations out) {
        new NumberFrame(this, Digits.EMPTY).step(b, rest, out);
    }

    @Override
    long computeMinBytes() {
        long m = minExtra(Digits.EMPTY);
        return m < 0 ? INFINITE : m;
    }

    /** The parts of a number being written. */
    record Digits(boolean negative, String intPart, boolean dot, String fraction) {
        static final Digits EMPTY = new Digits(false, "", false, "");

        Digits with(int b) {
            if (b == '-') {
                return intPart.isEmpty() && !negative && !dot ? new Digits(true, "", false, "") : null;
            }
            if (b == '.') {
                return !dot && !intPart.isEmpty() ? new Digits(negative, intPart, true, "") : null;
            }
            if (b < '0' || b > '9') {
                return null;
            }
            if (dot) {
                return fraction.length() < MAX_FRACTION_DIGITS ? new Digits(negative, intPart, true, fraction + (char) b)
                        : null;
            }
            if (intPart.equals("0") || intPart.length() >= MAX_INT_DIGITS) {
                return null;
            }
            return new Digits(negative, intPart + (char) b, false, "");
        }

        boolean syntaxComplete() {
            return !intPart.isEmpty() && (!dot || !fraction.isEmpty());
        }

        BigDecimal value() {
            BigDecimal v = new BigDecimal(intPart + (fraction.isEmpty() ? "" : "." + fraction));
            return negative ? v.negate() : v;
        }
    }

    /** Whether the digits may be continued (or ended) into a number within bounds. */
    boolean feasible(Digits d) {
        if (integer && d.dot) {
            return false;
        }
        if (!bounded()) {
            return true;
        }
        if (d.dot) {
            BigDecimal lo = d.value().abs();
            return intersects(d.negative, lo, lo.add(BigDecimal.ONE.movePointLeft(d.fraction.length())));
        }
        if (d.intPart.isEmpty()) {
            return intersects(d.negative, BigDecimal.ZERO, BigDecimal.ONE.movePointRight(MAX_INT_DIGITS));
        }
        int maxK = d.intPart.equals("0") ? 0 : MAX_INT_DIGITS - d.intPart.length();
        BigDecimal prefix = new BigDecimal(d.intPart);
        for (int k = 0; k <= maxK; k++) {
            BigDecimal lo = prefix.movePointRight(k);
            BigDecimal hi = prefix.add(BigDecimal.ONE).movePointRight(k);
            if (intersects(d.negative, lo, hi)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether some number on the grid with magnitude in [lo, hi), signed, lies within the bounds: exact, since
     * both the reachable numbers and the bounds are on the grid.
     */
    private boolean intersects(boolean negative, BigDecimal lo, BigDecimal hi) {
        BigDecimal top = hi.subtract(step);
        BigDecimal from = negative ? top.negate() : lo;
        BigDecimal to = negative ? lo.negate() : top;
        return from.compareTo(to) <= 0 && (low == null || to.compareTo(low) >= 0)
                && (high == null || from.compareTo(high) <= 0) && (low == null || high == null || low.compareTo(high) <= 0);
    }

    boolean inRange(BigDecimal v) {
        if (integer && v.stripTrailingZeros().scale() > 0) {
            return false;
        }
        return (low == null || v.compareTo(low) >= 0) && (high == null || v.compareTo(high) <= 0);
    }

    boolean complete(Digits d) {
        return d.syntaxComplete() && (!bounded() || inRange(d.value()));
    }

    /**
     * The fewest bytes that turn {@code d} into a complete number within bounds, or -1 if none: a breadth-first
     * search over the next characters, pruned by {@link #feasible}.
     */
    long minExtra(Digits d) {
        if (complete(d)) {
            return 0;
        }
        java.util.List<Digits> frontier = java.util.List.of(d);
        String alphabet = "-0123456789.";
        for (int depth = 1; depth <= MAX_INT_DIGITS + MAX_FRACTION_DIGITS + 2; depth++) {
            java.util.List<Digits> next = new java.util.ArrayList<>();
            for (Digits f : frontier) {
                for (int i = 0; i < alphabet.length(); i++) {
                    Digits g = f.with(alphabet.charAt(i));
                    if (g != null && feasible(g)) {
                        if (complete(g)) {
                            return depth;
                        }
                        next.add(g);
                    }
                }
            }
            if (next.isEmpty()) {
                return -1;
            }
            // Keep the search small: the shortest completion is found through the smallest-magnitude prefixes.
            frontier = next.size() > 64 ? next.subList(0, 64) : next;
        }
        return -1;
    }

}
