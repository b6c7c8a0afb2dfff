package dev.assistant.security.key.hsm;

import dev.assistant.api.Secret;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to reach the PKCS#11 token that holds the key-encryption key. Immutable; built with {@link #builder()}.
 *
 * <p>The slot is chosen by {@code slotListIndex} (default 0: the first token, right for a private SoftHSM token
 * directory, since SoftHSM gives each new token a random slot id) or by an explicit {@code slot} id; setting both
 * fails. The PIN is held as a {@link Secret}; {@link #toString()} never shows it.
 */
public final class Pkcs11Config {
    /** Debian's SoftHSM2 module. */
    public static final Path SOFTHSM2_LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,32}");

    private final String name;
    private final Path library;
    private final Integer slotListIndex;
    private final Long slot;
    private final String keyLabel;
    private final Secret pin;

    private Pkcs11Config(Builder b) {
        this.name = b.name;
        this.library = b.library;
        this.slot = b.slot;
        this.slotListIndex = b.slot == null ? (b.slotListIndex == null ? 0 : b.slotListIndex) : null;
        this.keyLabel = b.keyLabel;
        this.pin = b.pin;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String name() {
        return name;
    }

    public Path library() {
        return library;
    }

    public String keyLabel() {
        return keyLabel;
    }

    /** The PIN; owned by this config. */
    Secret pin() {
        return pin;
    }

    /** The SunPKCS11 configuration text (no PIN in it). */
    String sunPkcs11Config() {
        return "--name=" + name + "\nlibrary=" + library + "\n"
                + (slot != null ? "slot=" + slot : "slotListIndex=" + slotListIndex) + "\n";
    }

    @Override
    public String toString() {
        return "Pkcs11Config[name=" + name + ", library=" + library
                + (slot != null ? ", slot=" + slot : ", slotListIndex=" + slotListIndex)
                + ", keyLabel=" + keyLabel + ", pin=redacted]";
    }

    /** Builder; every option is validated when set and may be set once. */
    public static final class Builder {
        private String name = "assistant";
        private Path library = SOFTHSM2_LIBRARY;
        private Integer slotListIndex;
        private Long slot;
        private String keyLabel;
        private Secret pin;

        private Builder() {
        }

        /** The SunPKCS11 provider name suffix (letters, digits, {@code _-}). Default {@code assistant}. */
        public Builder name(String name) {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("PKCS#11 name must be 1-32 of [A-Za-z0-9_-]; was " + name);
            }
            this.name = name;
            return this;
        }

        /** The PKCS#11 module. Default: Debian's SoftHSM2 library. */
        public Builder library(Path library) {
            this.library = Objects.requireNonNull(library, "library");
            return this;
        }

        public Builder slotListIndex(int index) {
            if (slot != null) {
                throw new IllegalStateException("set either slot or slotListIndex, not both");
            }
            if (index < 0) {
                throw new IllegalArgumentException("slotListIndex must be >= 0; was " + index);
            }
            this.slotListIndex = index;
            return this;
        }

        public Builder slot(long slot) {
            if (slotListIndex != null) {
                throw new IllegalStateException("set either slot or slotListIndex, not both");
            }
            this.slot = slot;
            return this;
        }

        /** The label ({@code CKA_LABEL}) of the AES key-encryption key. Required. */
        public Builder keyLabel(String keyLabel) {
            if (keyLabel == null || keyLabel.isBlank()) {
                throw new IllegalArgumentException("keyLabel must not be blank");
            }
            this.keyLabel = keyLabel;
            return this;
        }

        /** The user PIN; the chars are copied, the caller should wipe its array. Required. */
        public Builder pin(char[] pin) {
            if (pin == null || pin.length == 0) {
                throw new IllegalArgumentException("PIN must not be empty");
            }
            this.pin = Secret.ofChars(pin);
            return this;
        }

        public Pkcs11Config build() {
            if (keyLabel == null) {
                throw new IllegalStateException("keyLabel is required");
            }
            if (pin == null) {
                throw new IllegalStateException("pin is required");
            }
            return new Pkcs11Config(this);
        }
    }
}
