package dev.assistant.security.auth;

import dev.assistant.api.security.Environment;
import dev.assistant.security.key.KeyReference;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the server stores about one caller key: its id, owner, keyed hash (never the key), environment,
 * validity facts, groups and directly attached policy names. Immutable.
 */
public final class ApiKeyRecord {
    private final String keyId;
    private final String principal;
    private final byte[] hash;
    private final Environment environment;
    private final Instant issuedAt;
    private final Instant expiresAt;
    private final Instant retiredAt;
    private final Set<String> groups;
    private final List<String> policies;

    private ApiKeyRecord(Builder b) {
        this.keyId = KeyReference.validateKeyId(b.keyId);
        this.principal = Objects.requireNonNull(b.principal, "principal");
        this.hash = Objects.requireNonNull(b.hash, "hash").clone();
        if (hash.length != ApiKeyHasher.HASH_BYTES) {
            throw new IllegalArgumentException("key " + keyId + ": hash must be " + ApiKeyHasher.HASH_BYTES + " bytes");
        }
        this.environment = Objects.requireNonNull(b.environment, "environment");
        this.issuedAt = Objects.requireNonNull(b.issuedAt, "issuedAt");
        this.expiresAt = b.expiresAt;
        this.retiredAt = b.retiredAt;
        this.groups = Set.copyOf(b.groups);
        this.policies = List.copyOf(b.policies);
        if (expiresAt != null && expiresAt.isBefore(issuedAt)) {
            throw new IllegalArgumentException("key " + keyId + " expires before it is issued");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public String keyId() {
        return keyId;
    }

    public String principal() {
        return principal;
    }

    /** The stored keyed hash (a copy). */
    public byte[] hash() {
        return hash.clone();
    }

    /** Constant-time comparison of the stored hash with {@code candidate}. */
    boolean hashEquals(byte[] candidate) {
        return ApiKeyHasher.matches(hash, candidate);
    }

    /** The first 8 bytes of the hash, used only to narrow the constant-time comparisons to a few records. */
    long hashPrefix() {
        return prefix(hash);
    }

    static long prefix(byte[] hash) {
        long p = 0;
        for (int i = 0; i < 8; i++) {
            p = (p << 8) | (hash[i] & 0xFF);
        }
        return p;
    }

    public Environment environment() {
        return environment;
    }

    public Instant issuedAt() {
        return issuedAt;
    }

    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    public Optional<Instant> retiredAt() {
        return Optional.ofNullable(retiredAt);
    }

    public Set<String> groups() {
        return groups;
    }

    public List<String> policies() {
        return policies;
    }

    /** This record, retired at {@code at} (the end of a rotation's overlap). */
    public ApiKeyRecord retiredAt(Instant at) {
        return toBuilder().retiredAt(at).build();
    }

    public Builder toBuilder() {
        Builder b = new Builder().keyId(keyId).principal(principal).hash(hash).environment(environment)
                .issuedAt(issuedAt).groups(groups).policies(policies);
        b.expiresAt = expiresAt;
        b.retiredAt = retiredAt;
        return b;
    }

    @Override
    public String toString() {
        return "ApiKeyRecord[" + keyId + ", principal=" + principal + ", env=" + environment.id() + ", issuedAt="
                + issuedAt + (expiresAt == null ? "" : ", expiresAt=" + expiresAt)
                + (retiredAt == null ? "" : ", retiredAt=" + retiredAt) + "]";
    }

    /** Builder; {@code keyId}, {@code principal}, {@code hash}, {@code environment}, {@code issuedAt} are required. */
    public static final class Builder {
        private String keyId;
        private String principal;
        private byte[] hash;
        private Environment environment;
        private Instant issuedAt;
        private Instant expiresAt;
        private Instant retiredAt;
        private Set<String> groups = Set.of();
        private List<String> policies = List.of();

        private Builder() {
        }

        public Builder keyId(String keyId) {
            this.keyId = keyId;
            return this;
        }

        public Builder principal(String principal) {
            this.principal = principal;
            return this;
        }

        public Builder hash(byte[] hash) {
            this.hash = hash.clone();
            return this;
        }

        public Builder environment(Environment environment) {
            this.environment = environment;
            return this;
        }

        public Builder issuedAt(Instant issuedAt) {
            this.issuedAt = issuedAt;
            return this;
        }

        /** For temporary (STS-style) keys. */
        public Builder expiresAt(Instant expiresAt) {
            this.expiresAt = expiresAt;
            return this;
        }

        public Builder retiredAt(Instant retiredAt) {
            this.retiredAt = retiredAt;
            return this;
        }

        public Builder groups(Set<String> groups) {
            this.groups = Set.copyOf(groups);
            return this;
        }

        public Builder policies(List<String> policies) {
            this.policies = List.copyOf(policies);
            return this;
        }

        public ApiKeyRecord build() {
            return new ApiKeyRecord(this);
        }
    }
}
