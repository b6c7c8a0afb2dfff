package dev.assistant.core.tokenizer;

import java.nio.charset.StandardCharsets;

/** GPT-2's reversible byte-to-printable-character mapping used by ByteLevel pre-tokenizers and decoders. */
final class ByteLevel {
    private static final String[] SYMBOLS = build();

    private ByteLevel() {
    }

    /** The printable symbol of each byte value 0..255 (a copy). */
    static String[] byteSymbols() {
        return SYMBOLS.clone();
    }

    /** UTF-8 bytes of {@code text}, each replaced by its symbol. */
    static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            out.append(SYMBOLS[b & 0xff]);
        }
        return out.toString();
    }

    /** Printable bytes map to themselves; the others (controls, space, ...) to code points 256, 257, ... in order. */
    private static String[] build() {
        String[] symbols = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            symbols[b] = new String(Character.toChars(printable ? b : next++));
        }
        return symbols;
    }
}
