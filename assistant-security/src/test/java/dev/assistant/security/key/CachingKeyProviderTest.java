package dev.assistant.security.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.Secret;
import dev.assistant.api.security.Environment;
import dev.assistant.security.key.KeyProviderException.Failure;
import dev.assistant.security.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CachingKeyProviderTest {
    private static final KeyReference REF = KeyReference.of("svc", Environment.PROD);

    /** A backend whose health the test switches: healthy, down (transient) or revoked (permanent). */
    private static final class SwitchableBackend implements KeyProvider {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicReference<Failure> failure = new AtomicReference<>();
        volatile byte value = 1;

        @Override
        public String name() {
            return "switchable";
        }

        @Override
        public Credential resolve(KeyReference reference) {
            calls.incrementAndGet();
            Failure f = failure.get();
            if (f != null) {
                throw new KeyProviderException(f, "backend " + f.code());
            }
            return new Credential(reference, Secret.adopt(new byte[] {value, value}), Instant.EPOCH, null, name());
        }
    }

    private final MutableClock clock = MutableClock.at("2025-01-01T00:00:00Z");
    private final SwitchableBackend backend = new SwitchableBackend();
    private final CachingKeyProvider cache = CachingKeyProvider.builder(backend).ttl(Duration.ofMinutes(10))
            .refreshAfter(Duration.ofMinutes(1)).clock(clock).build();

    private byte read() {
        try (Credential c = cache.resolve(REF)) {
            return c.secret().bytes()[0];
        }
    }

    @Test
    void servesFromCacheUntilRefreshThenReloads() {
        assertThat(read()).isEqualTo((byte) 1);
        backend.value = 2;
        clock.advance(Duration.ofSeconds(59));
        assertThat(read()).isEqualTo((byte) 1);
        assertThat(backend.calls).hasValue(1);
        clock.advance(Duration.ofSeconds(2));
        assertThat(read()).isEqualTo((byte) 2);
        assertThat(backend.calls).hasValue(2);
    }

    @Test
    void transientOutageIsBridgedUntilTheTtlEnds() {
        read();
        backend.failure.set(Failure.UNAVAILABLE);
        clock.advance(Duration.ofMinutes(9));
        assertThat(read()).isEqualTo((byte) 1);
        clock.advance(Duration.ofMinutes(1));
        assertThatThrownBy(this::read).hasFieldOrPropertyWithValue("failure", Failure.UNAVAILABLE);
        backend.failure.set(null);
        assertThat(read()).isEqualTo((byte) 1);
    }

    @Test
    void permanentFailureDropsTheCachedSecretAtOnce() {
        read();
        backend.failure.set(Failure.KEY_DISABLED);
        clock.advance(Duration.ofMinutes(2));
        assertThatThrownBy(this::read).hasFieldOrPropertyWithValue("failure", Failure.KEY_DISABLED);
        backend.failure.set(Failure.UNAVAILABLE);
        assertThatThrownBy(this::read).hasFieldOrPropertyWithValue("failure", Failure.UNAVAILABLE);
    }

    @Test
    void callersGetCopiesSoClosingOneDoesNotWipeTheCache() {
        Credential first = cache.resolve(REF);
        first.close();
        assertThat(read()).isEqualTo((byte) 1);
    }

    @Test
    void builderRejectsRefreshLongerThanTtl() {
        assertThatThrownBy(() -> CachingKeyProvider.builder(backend).ttl(Duration.ofMinutes(1))
                .refreshAfter(Duration.ofMinutes(2)).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachingKeyProvider.builder(backend).ttl(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
