package dev.assistant.security.key.hsm;

import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviderException.Failure;
import java.io.IOException;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.security.auth.login.LoginException;

/**
 * A logged-in session with a PKCS#11 token (through the JDK's SunPKCS11 provider) and a handle to one AES key
 * that never leaves the token. Performs AES-GCM with explicit 12-byte IVs (SunPKCS11 would otherwise pick 16).
 *
 * <p>Thread-safe: each operation uses its own {@link Cipher}; SunPKCS11 pools token sessions. Errors become
 * {@link KeyProviderException}s; no key material is ever readable here.
 */
public final class Pkcs11Hsm implements AutoCloseable {
    static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";

    private final Provider provider;
    private final SecretKey key;
    private final String keyLabel;

    private Pkcs11Hsm(Provider provider, SecretKey key, String keyLabel) {
        this.provider = provider;
        this.key = key;
        this.keyLabel = keyLabel;
    }

    /**
     * Loads the PKCS#11 module, logs in with the PIN and finds the key.
     *
     * @throws KeyProviderException {@code CONFIGURATION} (module or slot unusable, key missing or not AES),
     *                              {@code ACCESS_DENIED} (wrong PIN), {@code UNAVAILABLE} (token not responding)
     */
    public static Pkcs11Hsm open(Pkcs11Config config) {
        Provider base = Security.getProvider("SunPKCS11");
        if (base == null) {
            throw new KeyProviderException(Failure.CONFIGURATION, "the JDK has no SunPKCS11 provider");
        }
        if (!java.nio.file.Files.isReadable(config.library())) {
            throw new KeyProviderException(Failure.CONFIGURATION,
                    "PKCS#11 module " + config.library() + " is not readable (install softhsm2 or set the path)");
        }
        Provider provider;
        try {
            provider = base.configure(config.sunPkcs11Config());
        } catch (RuntimeException e) {
            throw new KeyProviderException(Failure.CONFIGURATION,
                    "cannot configure PKCS#11 " + config + ": " + rootMessage(e) + " (check the slot and SOFTHSM2_CONF)");
        }
        char[] pin = config.pin().chars();
        try {
            KeyStore store = KeyStore.getInstance("PKCS11", provider);
            store.load(null, pin);
            Key key = store.getKey(config.keyLabel(), null);
            if (!(key instanceof SecretKey secretKey) || !"AES".equalsIgnoreCase(key.getAlgorithm())) {
                throw new KeyProviderException(Failure.CONFIGURATION, "no AES secret key labelled '"
                        + config.keyLabel() + "' on PKCS#11 token " + config.name());
            }
            return new Pkcs11Hsm(provider, secretKey, config.keyLabel());
        } catch (IOException e) {
            if (hasCause(e, LoginException.class)) {
                throw new KeyProviderException(Failure.ACCESS_DENIED,
                        "PKCS#11 login to " + config.name() + " failed: check the PIN");
            }
            throw new KeyProviderException(Failure.UNAVAILABLE, "PKCS#11 token " + config.name()
                    + " did not respond: " + rootMessage(e));
        } catch (GeneralSecurityException | ProviderException e) {
            throw new KeyProviderException(Failure.UNAVAILABLE, "PKCS#11 token " + config.name()
                    + " failed: " + rootMessage(e));
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    /** The label of the key-encryption key. */
    public String keyLabel() {
        return keyLabel;
    }

    /** The configured SunPKCS11 provider instance (for other operations on the same token). */
    public Provider provider() {
        return provider;
    }

    /** AES-GCM encryption in the token; returns ciphertext followed by the 16-byte tag. */
    public byte[] encrypt(byte[] iv, byte[] associatedData, byte[] plaintext) {
        return run(Cipher.ENCRYPT_MODE, iv, associatedData, plaintext);
    }

    /**
     * AES-GCM decryption in the token.
     *
     * @throws KeyProviderException {@code DECRYPT_FAILED} when the tag does not verify (tampered ciphertext, other
     *                              associated data, other key)
     */
    public byte[] decrypt(byte[] iv, byte[] associatedData, byte[] ciphertext) {
        return run(Cipher.DECRYPT_MODE, iv, associatedData, ciphertext);
    }

    private byte[] run(int mode, byte[] iv, byte[] aad, byte[] input) {
        if (iv == null || iv.length != IV_BYTES) {
            throw new IllegalArgumentException("AES-GCM IV must be " + IV_BYTES + " bytes");
        }
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION, provider);
            cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(aad);
            return cipher.doFinal(input);
        } catch (AEADBadTagException e) {
            throw new KeyProviderException(Failure.DECRYPT_FAILED,
                    "AES-GCM authentication failed: wrong key, key id, environment or tampered data");
        } catch (GeneralSecurityException e) {
            if (mode == Cipher.DECRYPT_MODE && hasCause(e, AEADBadTagException.class)) {
                throw new KeyProviderException(Failure.DECRYPT_FAILED, "AES-GCM authentication failed");
            }
            throw new KeyProviderException(Failure.DECRYPT_FAILED, "AES-GCM in PKCS#11 failed: " + rootMessage(e));
        } catch (ProviderException e) {
            // SunPKCS11 reports token/session trouble (device removed, session closed) as ProviderException.
            throw new KeyProviderException(Failure.UNAVAILABLE, "PKCS#11 token failed: " + rootMessage(e));
        }
    }

    /** Logs out of the token. */
    @Override
    public void close() {
        if (provider instanceof AuthProvider auth) {
            try {
                auth.logout();
            } catch (LoginException | ProviderException ignored) {
                // Closing is best effort: the session dies with the process anyway.
            }
        }
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** The innermost message: PKCS#11 return codes such as CKR_PIN_INCORRECT; never key material. */
    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    @Override
    public String toString() {
        return "Pkcs11Hsm[" + provider.getName() + ", key=" + keyLabel + "]";
    }
}
