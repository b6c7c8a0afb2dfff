package dev.assistant.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assistant.api.ErrorCode;
import dev.assistant.api.Secret;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.ApiKeys;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.security.auth.Principal;
import dev.assistant.security.policy.Action;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyParser;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import dev.assistant.security.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallGuardTest {
    static final String GUIDE = "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":[\"assistant:Chat\"],"
            + "\"resource\":[\"model/*\"]},{\"effect\":\"deny\",\"action\":[\"assistant:*\"],\"resource\":[\"model/internal-*\"]}]}";

    private final MutableClock clock = MutableClock.at("2025-01-01T00:00:00Z");

    @Test
    void aCallPassesAuthenticateAuthorizeAndRateLimitInOrder() {
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt("guard-pepper-0123456789".getBytes(StandardCharsets.UTF_8)));
        char[] key = ApiKeys.generate(new SecureRandom());
        InMemoryApiKeyStore store = new InMemoryApiKeyStore(List.of(ApiKeyRecord.builder().keyId("k1").principal("svc")
                .hash(hasher.hash(key)).environment(Environment.PROD).issuedAt(Instant.parse("2024-12-01T00:00:00Z"))
                .policies(List.of("guide")).build()));
        CallGuard guard = CallGuard.builder()
                .authenticator(ApiKeyAuthenticator.builder().hasher(hasher).store(store).environment(Environment.PROD)
                        .policies(PolicyRegistry.builder().policy("guide", GUIDE).build())
                        .lifecycle(dev.assistant.security.lifecycle.KeyLifecycle.builder().clock(clock).build()).build())
                .authorizer(new PolicyAuthorizer(SecurityEvents.NONE))
                .rateLimiter(LocalRateLimiter.create(RateLimitConfig.builder().defaultPlan(RatePlan.perSecond(2)).build(),
                        SecurityEvents.NONE, clock))
                .build();

        assertThatThrownBy(() -> guard.admit("ak_wrong".toCharArray(), Action.CHAT, "qwen"))
                .hasFieldOrPropertyWithValue("code", ErrorCode.UNAUTHENTICATED);
        // Denied calls do not consume the rate: authorization runs before the limiter.
        assertThatThrownBy(() -> guard.admit(key, Action.CHAT, "internal-llm"))
                .hasFieldOrPropertyWithValue("code", ErrorCode.PERMISSION_DENIED);
        assertThatThrownBy(() -> guard.admit(key, Action.QUANTIZE, "qwen"))
                .hasFieldOrPropertyWithValue("code", ErrorCode.PERMISSION_DENIED);
        Principal p = guard.admit(key, Action.CHAT, "qwen");
        assertThat(p.keyId()).isEqualTo("k1");
        guard.admit(key, Action.CHAT, "qwen");
        assertThatThrownBy(() -> guard.admit(key, Action.CHAT, "qwen"))
                .hasFieldOrPropertyWithValue("code", ErrorCode.RATE_LIMITED);
    }

    @Test
    void anEmbeddedAppCanRunWithoutKeysGovernedByAnonymousPolicies() {
        CallGuard open = CallGuard.open(Environment.DEV);
        assertThat(open.admit(null, Action.QUANTIZE, "anything").keyId()).isEqualTo(Principal.ANONYMOUS);
        assertThat(open.authenticates()).isFalse();

        CallGuard chatOnly = CallGuard.builder()
                .anonymous(Principal.anonymous(Environment.DEV, List.of(PolicyParser.standard().parse("guide", GUIDE))))
                .authorizer(new PolicyAuthorizer(SecurityEvents.NONE))
                .build();
        assertThat(chatOnly.admit(null, Action.CHAT, "qwen").name()).isEqualTo("anonymous");
        assertThatThrownBy(() -> chatOnly.admit(null, Action.EMBED, "qwen"))
                .hasFieldOrPropertyWithValue("code", ErrorCode.PERMISSION_DENIED);
    }

    @Test
    void inconsistentStepsFailWhenBuilt() {
        assertThatThrownBy(() -> CallGuard.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> CallGuard.builder().authenticator(k -> null)
                .anonymous(Principal.anonymous(Environment.DEV, List.of())).build())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> CallGuard.builder().authorizer((p, a, r) -> null).authorizer((p, a, r) -> null))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aThrowingEventListenerNeverFailsACall() {
        SecurityEvents broken = new SecurityEvents() {
            @Override
            public void permissionDenied(String keyId, String action, String resource) {
                throw new IllegalStateException("listener bug");
            }
        };
        CallGuard guard = CallGuard.builder().anonymous(Principal.anonymous(Environment.DEV, List.of()))
                .authorizer(new PolicyAuthorizer(broken)).build();
        assertThatThrownBy(() -> guard.admit(null, Action.CHAT, "m"))
                .hasFieldOrPropertyWithValue("code", ErrorCode.PERMISSION_DENIED);
    }
}
