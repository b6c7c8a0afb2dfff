package dev.assistant.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Secret bytes (an API key, a data key) in a holder that never prints them and can be wiped.
 *
 * <p>{@link #toString()} is redacted; {@link #close()} overwrites the bytes with zeros, after which every accessor
 * fails. Copies handed out by {@link #bytes()} are the caller's to wipe.
 */
public final class Secret implements AutoCloseable {
    private final byte[] value;
    private volatile boolean wiped;

    private Secret(byte[] value) {
        this.value = value;
    }

    /** Takes ownership of {@code value} (it is not copied; wiping this secret wipes the array). */
    public static Secret adopt(byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("secret value must not be null");
        }
        return new Secret(value);
    }

    /** Copies the UTF-8 bytes of {@code chars}; the caller should wipe its array afterwards. */
    public static Secret ofChars(char[] chars) {
        var buffer = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(chars));
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), (byte) 0);
        }
        return new Secret(bytes);
    }

    /** A copy of the secret bytes; the caller owns and should wipe it. */
    public byte[] bytes() {
        checkNotWiped();
        return value.clone();
    }

    /** A copy of the secret decoded as UTF-8 characters; the caller owns and should wipe it. */
    public char[] chars() {
        checkNotWiped();
        var buffer = StandardCharsets.UTF_8.decode(java.nio.ByteBuffer.wrap(value));
        char[] chars = new char[buffer.remaining()];
        buffer.get(chars);
        if (buffer.hasArray()) {
            Arrays.fill(buffer.array(), '\0');
        }
        return chars;
    }

    public int length() {
        checkNotWiped();
        return value.length;
    }

    /** Constant-time comparison with {@code other}. */
    public boolean matches(byte[] other) {
        checkNotWiped();
        return MessageDigest.isEqual(value, other);
    }

    public boolean isWiped() {
        return wiped;
    }

    /** Overwrites the secret with zeros. Idempotent. */
    @Override
    public void close() {
        Arrays.fill(value, (byte) 0);
        wiped = true;
    }

    private void checkNotWiped() {
        if (wiped) {
            throw new IllegalStateException("secret has been wiped");
        }
    }

    @Override
    public String toString() {
        return "Secret[redacted]";
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
