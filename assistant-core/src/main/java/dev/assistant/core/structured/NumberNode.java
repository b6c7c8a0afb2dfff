package dev.assistant.core.structured;

import java.math.BigDecimal;
import java.math.BigInteger;
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
    private final BigDecimal min;
    private final boolean minExclusive;
    private final BigDecimal max;
    private final boolean maxExclusive;
    private final BigInteger minInt;
    private final BigInteger maxInt;

    NumberNode(boolean integer, BigDecimal min, boolean minExclusive, BigDecimal max, boolean maxExclusive) {
        this.integer = integer;
        this.min = min;
        this.minExclusive = minExclusive;
        this.max = max;
        this.maxExclusive = maxExclusive;
        this.minInt = min == null ? null : minExclusive ? floor(min).add(BigInteger.ONE) : ceil(min);
        this.maxInt = max == null ? null : maxExclusive ? ceil(max).subtract(BigInteger.ONE) : floor(max);
    }

    boolean bounded() {
        return min != null || max != null;
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
            BigDecimal hi = lo.add(BigDecimal.ONE.movePointLeft(d.fraction.length()));
            return d.fraction.length() == MAX_FRACTION_DIGITS ? inRange(d.value())
                    : intersects(d.negative, lo, hi);
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

    /** Whether magnitudes in [lo, hi) (integers in [lo, hi - 1] for integer schemas), signed, meet the bounds. */
    private boolean intersects(boolean negative, BigDecimal lo, BigDecimal hi) {
        if (integer) {
            BigInteger a = lo.toBigInteger();
            BigInteger b = hi.toBigInteger().subtract(BigInteger.ONE);
            BigInteger from = negative ? b.negate() : a;
            BigInteger to = negative ? a.negate() : b;
            return (minInt == null || to.compareTo(minInt) >= 0) && (maxInt == null || from.compareTo(maxInt) <= 0)
                    && (minInt == null || maxInt == null || minInt.compareTo(maxInt) <= 0);
        }
        BigDecimal from = negative ? hi.negate() : lo;
        BigDecimal to = negative ? lo.negate() : hi;
        // the open end of [lo, hi) is approximated as closed: bounds are honoured to MAX_FRACTION_DIGITS decimals
        boolean aboveMin = min == null || (minExclusive ? to.compareTo(min) > 0 : to.compareTo(min) >= 0);
        boolean belowMax = max == null || (maxExclusive ? from.compareTo(max) < 0 : from.compareTo(max) <= 0);
        return aboveMin && belowMax;
    }

    boolean inRange(BigDecimal v) {
        if (integer && v.stripTrailingZeros().scale() > 0) {
            return false;
        }
        if (min != null && (minExclusive ? v.compareTo(min) <= 0 : v.compareTo(min) < 0)) {
            return false;
        }
        return max == null || (maxExclusive ? v.compareTo(max) < 0 : v.compareTo(max) <= 0);
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

    private static BigInteger floor(BigDecimal v) {
        return v.setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
    }

    private static BigInteger ceil(BigDecimal v) {
        return v.setScale(0, RoundingMode.CEILING).toBigIntegerExact();
    }
}
