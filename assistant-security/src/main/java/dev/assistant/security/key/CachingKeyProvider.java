package dev.assistant.security.key;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.assistant.security.SecurityEvents;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TTL cache (Caffeine) of decrypted credentials in front of a slower provider (HSM, KMS).
 *
 * <p>Contract:
 * <ul>
 *   <li>A credential younger than {@code refreshAfter} is served from the cache without calling the delegate.</li>
 *   <li>Older than that, the delegate is asked again. If it fails with a {@linkplain
 *       KeyProviderException.Failure#isTransient() transient} failure (HSM or KMS unreachable) the cached
 *       credential is served until its {@code ttl} ends; after that the typed failure is thrown.</li>
 *   <li>Permanent failures (key deleted, access denied, tampered data) are thrown at once and drop the cached
 *       credential: a revoked key must not live on in the cache.</li>
 *   <li>Every call returns a fresh copy owned by the caller; cached material is wiped when it leaves the cache.</li>
 * </ul>
 * Time comes from the injected {@link Clock}, so tests can travel past refresh and TTL.
 */
public final class CachingKeyProvider implements KeyProvider {
    private static final Logger LOG = LoggerFactory.getLogger(CachingKeyProvider.class);
    private static final int MAX_COPY_ATTEMPTS = 4;

    private final KeyProvider delegate;
    private final long refreshAfterNanos;
    private final Clock clock;
    private final SecurityEvents events;
    private final Cache<KeyReference, Entry> cache;

    private CachingKeyProvider(Builder builder) {
        this.delegate = builder.delegate;
        this.refreshAfterNanos = builder.refreshAfter.toNanos();
        this.clock = builder.clock;
        this.events = SecurityEvents.safe(builder.events);
        Clock tickClock = builder.clock;
        Ticker ticker = () -> toNanos(tickClock.instant());
        this.cache = Caffeine.newBuilder()
                .ticker(ticker)
                .expireAfterWrite(builder.ttl)
                .maximumSize(builder.maximumSize)
                // Wipe synchronously so no decrypted copy outlives its entry waiting for a pool thread.
                .executor(Runnable::run)
                .removalListener((KeyReference key, Entry entry, RemovalCause cause) -> {
                    if (entry != null) {
                        entry.wipe();
                    }
                })
                .build();
    }

    /** A builder around {@code delegate}; see the setters for defaults. */
    public static Builder builder(KeyProvider delegate) {
        return new Builder(delegate);
    }

    @Override
    public String name() {
        return delegate.name();
    }

    /** The provider behind the cache. */
    public KeyProvider delegate() {
        return delegate;
    }

    @Override
    public Credential resolve(KeyReference reference) {
        for (int attempt = 0; attempt < MAX_COPY_ATTEMPTS; attempt++) {
            Entry entry = cache.getIfPresent(reference);
            long now = toNanos(clock.instant());
            if (entry != null && now - entry.loadedAtNanos < refreshAfterNanos) {
                Credential copy = entry.copy();
                if (copy != null) {
                    return copy;
                }
                continue; // replaced and wiped by a concurrent refresh: look again
            }
            Credential fresh;
            try {
                fresh = delegate.resolve(reference);
            } catch (KeyProviderException e) {
                Credential stale = e.failure().isTransient() && entry != null ? entry.copy() : null;
                if (stale != null) {
                    LOG.warn("key provider {} unavailable for {} ({}); serving the cached credential until its TTL ends",
                            delegate.name(), reference, e.failure().code());
                    events.keyProviderFailure(delegate.name(), e.failure().code(), true);
                    return stale;
                }
                if (!e.failure().isTransient()) {
                    cache.invalidate(reference);
                }
                events.keyProviderFailure(delegate.name(), e.failure().code(), false);
                throw e;
            }
            Entry replacement = new Entry(fresh.copy(), now);
            cache.put(reference, replacement);
            return fresh;
        }
        throw new KeyProviderException(KeyProviderException.Failure.UNAVAILABLE,
                "key " + reference + " was replaced concurrently too often; try again");
    }

    /** Drops every cached credential (wiping it), e.g. after a rotation. */
    public void invalidateAll() {
        cache.invalidateAll();
        cache.cleanUp();
    }

    /** Wipes the cache and closes the delegate. */
    @Override
    public void close() {
        invalidateAll();
        delegate.close();
    }

    private static long toNanos(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
    }

    @Override
    public String toString() {
        return "CachingKeyProvider[" + delegate.name() + "]";
    }

    /** A cached credential; copy and wipe exclude each other so a reader never sees half-wiped bytes. */
    private static final class Entry {
        private final Credential credential;
        private final long loadedAtNanos;
        private boolean wiped;

        Entry(Credential credential, long loadedAtNanos) {
            this.credential = credential;
            this.loadedAtNanos = loadedAtNanos;
        }

        synchronized Credential copy() {
            return wiped ? null : credential.copy();
        }

        synchronized void wipe() {
            wiped = true;
            credential.close();
        }
    }

    /** Options of a {@link CachingKeyProvider}; each is validated when set. */
    public static final class Builder {
        private final KeyProvider delegate;
        private Duration ttl = Duration.ofMinutes(5);
        private Duration refreshAfter;
        private long maximumSize = 10_000;
        private Clock clock = Clock.systemUTC();
        private SecurityEvents events = SecurityEvents.NONE;

        private Builder(KeyProvider delegate) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
        }

        /** How long a credential may be served at most, including during an outage. Default 5 minutes. */
        public Builder ttl(Duration ttl) {
            this.ttl = positive(ttl, "ttl");
            return this;
        }

        /**
         * After how long the delegate is asked again (a failed attempt keeps serving the cached credential until
         * {@code ttl}). Default: half the TTL. Must not exceed the TTL.
         */
        public Builder refreshAfter(Duration refreshAfter) {
            this.refreshAfter = positive(refreshAfter, "refreshAfter");
            return this;
        }

        /** Bound on cached credentials. Default 10 000. */
        public Builder maximumSize(long maximumSize) {
            if (maximumSize < 1) {
                throw new IllegalArgumentException("maximumSize must be >= 1; was " + maximumSize);
            }
            this.maximumSize = maximumSize;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Builder events(SecurityEvents events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        public CachingKeyProvider build() {
            Duration refresh = refreshAfter == null ? ttl.dividedBy(2) : refreshAfter;
            if (refresh.compareTo(ttl) > 0) {
                throw new IllegalArgumentException("refreshAfter (" + refresh + ") must not exceed ttl (" + ttl + ")");
            }
            this.refreshAfter = refresh;
            return new CachingKeyProvider(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive; was " + d);
            }
            return d;
        }
    }
}
