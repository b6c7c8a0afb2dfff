package dev.assistant.core.tokenizer;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The exact bytes each token adds to the decoded text, for the two vocabulary families in use: byte-level BPE
 * (GPT-2, Llama 3, Qwen, SmolLM: every token is a string of byte symbols) and SentencePiece-style BPE with byte
 * fallback (Llama 2, Mistral: {@code ▁} is a space, {@code <0xHH>} a raw byte). Added tokens have none (they are
 * never part of structured output). The result is checked against the tokenizer's own decoding of a probe text.
 */
final class TokenBytes {
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
    private static final String PROBE = "{\"key\": [\"Ünïcode ✓ 😀\\n\", -12.5e3, true, null]}\n\t x";

    private TokenBytes() {
    }

    static byte[][] derive(ModelTokenizer tokenizer, TokenizerFiles files) {
        String[] tokens = files.idToToken;
        Map<Integer, Integer> symbolToByte = new HashMap<>();
        String[] symbols = ByteLevel.byteSymbols();
        for (int b = 0; b < 256; b++) {
            symbolToByte.put(symbols[b].codePointAt(0), b);
        }
        boolean byteLevel = true;
        for (int id = 0; id < tokens.length && byteLevel; id++) {
            if (tokens[id] != null && !files.addedIds.contains(id)) {
                byteLevel = tokens[id].codePoints().allMatch(symbolToByte::containsKey);
            }
        }
        byte[][] out = new byte[tokens.length][];
        for (int id = 0; id < tokens.length; id++) {
            String t = tokens[id];
            if (t == null || files.addedIds.contains(id)) {
                continue;
            }
            out[id] = byteLevel ? fromSymbols(t, symbolToByte) : fromPieces(t);
        }
        check(tokenizer, out);
        return out;
    }

    private static byte[] fromSymbols(String token, Map<Integer, Integer> symbolToByte) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(token.length());
        token.codePoints().forEach(cp -> bytes.write(symbolToByte.get(cp)));
        return bytes.toByteArray();
    }

    private static byte[] fromPieces(String token) {
        Matcher m = BYTE_TOKEN.matcher(token);
        if (m.matches()) {
            return new byte[]{(byte) Integer.parseInt(m.group(1), 16)};
        }
        return token.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    /** The concatenated bytes of the probe's tokens must be its decoded text (up to a stripped leading space). */
    private static void check(ModelTokenizer tokenizer, byte[][] table) {
        int[] ids = tokenizer.encode(PROBE, false);
        ByteArrayOutputStream concat = new ByteArrayOutputStream();
        for (int id : ids) {
            if (table[id] == null) {
                throw unsupported("the probe text encodes to an added token");
            }
            concat.writeBytes(table[id]);
        }
        String derived = concat.toString(StandardCharsets.UTF_8);
        String decoded = tokenizer.rawDecode(ids, false);
        if (!derived.equals(decoded) && !(derived.startsWith(" ") && derived.substring(1).equals(decoded))) {
            throw unsupported("its tokens' bytes could not be derived (decoded " + decoded.length()
                    + " characters, derived " + derived.length() + ")");
        }
    }

    private static AssistantException unsupported(String why) {
        return new AssistantException(ErrorCode.INVALID_REQUEST, "structured output is not supported for this "
                + "model's tokenizer: " + why);
    }
}
