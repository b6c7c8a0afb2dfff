package dev.assistant.security.auth;

import dev.assistant.api.Secret;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed hash of API keys: HMAC-SHA256 under a server-side pepper, so a leaked table of stored hashes cannot be
 * brute-forced offline without the pepper (which comes from a {@link dev.assistant.security.key.KeyProvider}).
 *
 * <p>Thread-safe: one {@link Mac} per thread. {@link #matches} compares in constant time.
 */
public final class ApiKeyHasher {
    /** Bytes of a hash. */
    public static final int HASH_BYTES = 32;
    private static final String ALGORITHM = "HmacSHA256";

    private final ThreadLocal<Mac> macs;

    /** @param pepper at least 16 bytes; copied, so the caller may wipe it afterwards */
    public ApiKeyHasher(Secret pepper) {
        if (pepper.length() < 16) {
            throw new IllegalArgumentException("the API key pepper must be at least 16 bytes; was " + pepper.length());
        }
        byte[] keyBytes = pepper.bytes();
        SecretKeySpec key = new SecretKeySpec(keyBytes, ALGORITHM);
        Arrays.fill(keyBytes, (byte) 0);
        try {
            Mac.getInstance(ALGORITHM).init(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance(ALGORITHM);
                mac.init(key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        });
    }

    /** The keyed hash of {@code key} (its UTF-8 bytes); intermediate copies are wiped. */
    public byte[] hash(char[] key) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder();
        ByteBuffer bytes;
        try {
            bytes = encoder.encode(CharBuffer.wrap(key));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("API key is not valid Unicode");
        }
        Mac mac = macs.get();
        try {
            mac.update(bytes);
            return mac.doFinal();
        } finally {
            if (bytes.hasArray()) {
                Arrays.fill(bytes.array(), (byte) 0);
            }
        }
    }

    /** Constant-time comparison of two hashes. */
    public static boolean matches(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    @Override
    public String toString() {
        return "ApiKeyHasher[HmacSHA256, pepper=redacted]";
    }
}
