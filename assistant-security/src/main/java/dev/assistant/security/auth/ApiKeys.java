package dev.assistant.security.auth;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/** Making new API keys and the hex form of their hashes. */
public final class ApiKeys {
    /** The prefix of generated keys: easy to spot in a secret scanner, never part of a key id. */
    public static final String PREFIX = "ak_";

    private ApiKeys() {
    }

    /** A new key: {@code ak_} + 32 random bytes in URL-safe base64. The caller owns (and should wipe) the array. */
    public static char[] generate(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        byte[] encoded = Base64.getUrlEncoder().withoutPadding().encode(raw);
        char[] key = new char[PREFIX.length() + encoded.length];
        PREFIX.getChars(0, PREFIX.length(), key, 0);
        for (int i = 0; i < encoded.length; i++) {
            key[PREFIX.length() + i] = (char) encoded[i];
        }
        Arrays.fill(raw, (byte) 0);
        Arrays.fill(encoded, (byte) 0);
        return key;
    }

    /** Hex form of a hash, as stored in key files. */
    public static String toHex(byte[] hash) {
        return HexFormat.of().formatHex(hash);
    }

    /** Parses the hex form of a hash. */
    public static byte[] fromHex(String hex) {
        byte[] hash = HexFormat.of().parseHex(hex);
        if (hash.length != ApiKeyHasher.HASH_BYTES) {
            throw new IllegalArgumentException("a key hash is " + ApiKeyHasher.HASH_BYTES + " bytes ("
                    + 2 * ApiKeyHasher.HASH_BYTES + " hex digits); was " + hash.length);
        }
        return hash;
    }
}
