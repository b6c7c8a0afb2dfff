package dev.assistant.security.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An in-memory {@link ApiKeyStore} with rotation. Reads are lock-free over an immutable snapshot; writes (rare)
 * replace the snapshot under a lock.
 *
 * <p>Lookup: records are indexed by the first 8 bytes of their keyed hash; every candidate under that prefix is
 * compared in full with {@link java.security.MessageDigest#isEqual} (constant time), and the loop never exits
 * early. The prefix reveals nothing useful by timing, since nobody can compute a keyed hash without the pepper.
 */
public final class InMemoryApiKeyStore implements ApiKeyStore {
    private final Object writeLock = new Object();
    private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of());

    public InMemoryApiKeyStore() {
    }

    public InMemoryApiKeyStore(Collection<ApiKeyRecord> records) {
        records.forEach(this::put);
    }

    @Override
    public Optional<ApiKeyRecord> findByHash(byte[] hash) {
        if (hash == null || hash.length != ApiKeyHasher.HASH_BYTES) {
            return Optional.empty();
        }
        ApiKeyRecord[] candidates = snapshot.byPrefix.get(ApiKeyRecord.prefix(hash));
        if (candidates == null) {
            return Optional.empty();
        }
        ApiKeyRecord found = null;
        for (ApiKeyRecord candidate : candidates) {
            if (candidate.hashEquals(hash)) {
                found = candidate;
            }
        }
        return Optional.ofNullable(found);
    }

    @Override
    public Optional<ApiKeyRecord> findById(String keyId) {
        return Optional.ofNullable(snapshot.byId.get(keyId));
    }

    /** Adds or replaces (by key id) a record. */
    public void put(ApiKeyRecord record) {
        synchronized (writeLock) {
            Map<String, ApiKeyRecord> byId = new HashMap<>(snapshot.byId);
            byId.put(record.keyId(), record);
            snapshot = Snapshot.of(byId);
        }
    }

    /** Removes a key at once (revocation). */
    public boolean remove(String keyId) {
        synchronized (writeLock) {
            Map<String, ApiKeyRecord> byId = new HashMap<>(snapshot.byId);
            boolean removed = byId.remove(keyId) != null;
            snapshot = Snapshot.of(byId);
            return removed;
        }
    }

    /**
     * Rotates {@code oldKeyId} to {@code successor}: the successor is added and the old key stays valid side by
     * side with it for {@code overlap}, then is rejected as {@code key_rotated_out}.
     *
     * @return the instant the old key retires
     * @throws IllegalArgumentException if the old key does not exist or the successor reuses its id
     */
    public Instant rotate(String oldKeyId, ApiKeyRecord successor, Duration overlap, Clock clock) {
        if (overlap.isNegative()) {
            throw new IllegalArgumentException("overlap must not be negative");
        }
        synchronized (writeLock) {
            ApiKeyRecord old = snapshot.byId.get(oldKeyId);
            if (old == null) {
                throw new IllegalArgumentException("no key '" + oldKeyId + "' to rotate");
            }
            if (successor.keyId().equals(oldKeyId)) {
                throw new IllegalArgumentException("the successor of key '" + oldKeyId + "' needs a new key id");
            }
            Instant retireAt = clock.instant().plus(overlap);
            Map<String, ApiKeyRecord> byId = new HashMap<>(snapshot.byId);
            byId.put(oldKeyId, old.retiredAt(retireAt));
            byId.put(successor.keyId(), successor);
            snapshot = Snapshot.of(byId);
            return retireAt;
        }
    }

    /** All records (a snapshot). */
    public List<ApiKeyRecord> records() {
        return List.copyOf(snapshot.byId.values());
    }

    private record Snapshot(Map<String, ApiKeyRecord> byId, Map<Long, ApiKeyRecord[]> byPrefix) {
        static Snapshot of(Map<String, ApiKeyRecord> byId) {
            Map<Long, List<ApiKeyRecord>> grouped = new HashMap<>();
            for (ApiKeyRecord r : byId.values()) {
                grouped.computeIfAbsent(r.hashPrefix(), p -> new ArrayList<>()).add(r);
            }
            Map<Long, ApiKeyRecord[]> byPrefix = new HashMap<>();
            grouped.forEach((p, list) -> byPrefix.put(p, list.toArray(ApiKeyRecord[]::new)));
            return new Snapshot(Map.copyOf(byId), Map.copyOf(byPrefix));
        }
    }
}
