package dev.assistant.security.key;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.security.Environment;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The storable form of an encrypted secret (an "envelope"), shared by the HSM and KMS providers.
 *
 * <p>JSON, one object per key (see the module README):
 * <pre>
 * {"v":1,"scheme":"pkcs11-aes-256-gcm","kid":"svc-a","env":"prod","iat":"2025-01-01T00:00:00Z",
 *  "exp":null,"kek":"assistant-kek","iv":"base64 (12 bytes)","ct":"base64 (ciphertext + 16-byte tag)"}
 * </pre>
 * {@code kek} names the wrapping key (HSM key label or KMS key id); {@code iv} is absent for KMS, whose
 * ciphertext blob carries its own. The key id, environment, issue time and expiry are authenticated: for AES-GCM
 * as associated data ({@link #associatedData()}), for KMS as the encryption context ({@link #encryptionContext()}),
 * so an envelope moved to another key id or environment, or with an edited expiry, fails to decrypt.
 */
public final class SealedSecret {
    public static final int VERSION = 1;
    public static final String SCHEME_PKCS11 = "pkcs11-aes-256-gcm";
    public static final String SCHEME_KMS = "kms";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String scheme;
    private final KeyReference reference;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final String kek;
    private final byte[] iv;
    private final byte[] ciphertext;

    public SealedSecret(String scheme, KeyReference reference, Instant issuedAt, Instant expiresAt, String kek,
                        byte[] iv, byte[] ciphertext) {
        this.scheme = requireText(scheme, "scheme");
        this.reference = Objects.requireNonNull(reference, "reference");
        this.issuedAt = Objects.requireNonNull(issuedAt, "issuedAt");
        this.expiresAt = expiresAt;
        this.kek = requireText(kek, "kek");
        this.iv = iv == null ? null : iv.clone();
        this.ciphertext = Objects.requireNonNull(ciphertext, "ciphertext").clone();
        if (expiresAt != null && expiresAt.isBefore(issuedAt)) {
            throw new IllegalArgumentException("exp must not be before iat");
        }
    }

    public String scheme() {
        return scheme;
    }

    public KeyReference reference() {
        return reference;
    }

    public Instant issuedAt() {
        return issuedAt;
    }

    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /** The wrapping key: HSM key label or KMS key id. */
    public String kek() {
        return kek;
    }

    /** The AES-GCM IV (a copy), or {@code null} for KMS. */
    public byte[] iv() {
        return iv == null ? null : iv.clone();
    }

    /** The ciphertext (a copy). */
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    /** The AES-GCM associated data: the authenticated metadata in a fixed, unambiguous order. */
    public byte[] associatedData() {
        String aad = "assistant-envelope-v" + VERSION + "\n" + reference.keyId() + "\n" + reference.environment().id()
                + "\n" + issuedAt + "\n" + (expiresAt == null ? "" : expiresAt.toString());
        return aad.getBytes(StandardCharsets.UTF_8);
    }

    /** The KMS encryption context: the same metadata as {@link #associatedData()}. */
    public Map<String, String> encryptionContext() {
        return encryptionContext(reference, issuedAt, expiresAt);
    }

    /** The KMS encryption context for the given metadata. */
    public static Map<String, String> encryptionContext(KeyReference reference, Instant issuedAt, Instant expiresAt) {
        Map<String, String> context = new LinkedHashMap<>();
        context.put("assistant:keyId", reference.keyId());
        context.put("assistant:environment", reference.environment().id());
        context.put("assistant:issuedAt", issuedAt.toString());
        if (expiresAt != null) {
            context.put("assistant:expiresAt", expiresAt.toString());
        }
        return context;
    }

    /** The JSON form (contains only ciphertext and metadata, safe to store and print). */
    public String toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("v", VERSION);
        node.put("scheme", scheme);
        node.put("kid", reference.keyId());
        node.put("env", reference.environment().id());
        node.put("iat", issuedAt.toString());
        if (expiresAt == null) {
            node.putNull("exp");
        } else {
            node.put("exp", expiresAt.toString());
        }
        node.put("kek", kek);
        if (iv != null) {
            node.put("iv", Base64.getEncoder().encodeToString(iv));
        }
        node.put("ct", Base64.getEncoder().encodeToString(ciphertext));
        return node.toString();
    }

    /**
     * Parses the JSON form.
     *
     * @throws KeyProviderException {@link KeyProviderException.Failure#MALFORMED} naming the field that is wrong
     */
    public static SealedSecret parse(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            // The Jackson message may quote the input; it holds only ciphertext, but keep messages uniform.
            throw malformed("not valid JSON (line " + e.getLocation().getLineNr() + ")");
        }
        if (node == null || !node.isObject()) {
            throw malformed("not a JSON object");
        }
        if (!node.path("v").isInt() || node.get("v").intValue() != VERSION) {
            throw malformed("field 'v' must be " + VERSION);
        }
        String scheme = text(node, "scheme", true);
        KeyReference reference;
        try {
            reference = KeyReference.of(text(node, "kid", true), Environment.parse(text(node, "env", true)));
        } catch (IllegalArgumentException e) {
            throw malformed("field 'kid' or 'env': " + e.getMessage());
        }
        Instant iat = instant(node, "iat", true);
        Instant exp = instant(node, "exp", false);
        String kek = text(node, "kek", true);
        byte[] iv = base64(node, "iv", false);
        byte[] ct = base64(node, "ct", true);
        if (SCHEME_PKCS11.equals(scheme) && (iv == null || iv.length != 12)) {
            throw malformed("field 'iv' must be 12 bytes (base64) for scheme " + SCHEME_PKCS11);
        }
        try {
            return new SealedSecret(scheme, reference, iat, exp, kek, iv, ct);
        } catch (IllegalArgumentException e) {
            throw malformed(e.getMessage());
        }
    }

    private static String text(JsonNode node, String field, boolean required) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw malformed("field '" + field + "' is missing");
            }
            return null;
        }
        if (!value.isTextual() || value.textValue().isEmpty()) {
            throw malformed("field '" + field + "' must be a non-empty string");
        }
        return value.textValue();
    }

    private static Instant instant(JsonNode node, String field, boolean required) {
        String text = text(node, field, required);
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw malformed("field '" + field + "' must be an ISO-8601 instant");
        }
    }

    private static byte[] base64(JsonNode node, String field, boolean required) {
        String text = text(node, field, required);
        if (text == null) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw malformed("field '" + field + "' must be base64");
        }
    }

    private static KeyProviderException malformed(String detail) {
        return new KeyProviderException(KeyProviderException.Failure.MALFORMED, "sealed secret: " + detail);
    }

    private static String requireText(String s, String name) {
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SealedSecret other && toJson().equals(other.toJson());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ciphertext);
    }

    @Override
    public String toString() {
        return "SealedSecret[" + scheme + ", " + reference + ", kek=" + kek + "]";
    }
}
