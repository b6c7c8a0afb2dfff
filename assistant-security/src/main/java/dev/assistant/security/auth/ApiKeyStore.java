package dev.assistant.security.auth;

import java.util.Optional;

/**
 * Where caller key records live. Contract: {@link #findByHash} compares full hashes in constant time and returns
 * the one record whose hash equals {@code hash}; implementations are thread-safe.
 */
public interface ApiKeyStore {
    Optional<ApiKeyRecord> findByHash(byte[] hash);

    /** The record with this key id (for rotation and reports), if any. */
    Optional<ApiKeyRecord> findById(String keyId);
}
