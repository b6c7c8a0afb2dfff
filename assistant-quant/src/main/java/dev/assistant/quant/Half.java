package dev.assistant.quant;

/** IEEE 754 binary16 conversions (JDK 17 has none): round to nearest even, as numpy and ggml convert. */
final class Half {
    private Half() {
    }

    static float toFloat(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        // normal and subnormal alike: place the 15 bits, then rebias the exponent by a multiplication (exact)
        float magnitude = Float.intBitsToFloat((h & 0x7FFF) << 13) * 0x1p112f;
        return Float.intBitsToFloat(sign | Float.floatToRawIntBits(magnitude));
    }

    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFFFFFF;
        if (abs >= 0x7F800000) { // inf or NaN
            return (short) (sign | 0x7C00 | (abs > 0x7F800000 ? 0x200 : 0));
        }
        if (abs >= 0x477FF000) { // rounds to >= 65520: overflow to infinity
            return (short) (sign | 0x7C00);
        }
        if (abs < 0x38800000) { // below the smallest normal half: subnormal (or zero), rounded to nearest even
            float scaled = Float.intBitsToFloat(abs) * 0x1p24f; // in units of the smallest subnormal, 2^-24
            return (short) (sign | (int) Math.rint(scaled));
        }
        int mant = abs & 0x7FFFFF;
        int exp = (abs >>> 23) - 127 + 15;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++; // may carry into the exponent, which is the correct rounding
        }
        return (short) (sign | half);
    }
}
