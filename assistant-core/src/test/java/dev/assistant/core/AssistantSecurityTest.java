package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.api.Secret;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Authenticate, authorize and rate-limit run in front of every call, and refusals never reach the engine. */
class AssistantSecurityTest {
    private static final String CHAT_ONLY = """
            {"version":"2.0","statement":[
              {"effect":"allow","action":["assistant:Chat"],"resource":["model/*"]},
              {"effect":"deny","action":["assistant:*"],"resource":["model/internal-*"]}]}""";
    private static final String ALICE_KEY = "ak-alice-7f3a9c2e5b1d4f60";
    private static final String BOB_KEY = "ak-bob-0c9e8d7f6a5b4c3d";

    private static Assistant assistant(String modelName, InMemoryMetrics metrics, RatePlan plan) {
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt("test-pepper-not-a-real-one".getBytes(StandardCharsets.UTF_8)));
        Instant issued = Instant.now().minus(1, ChronoUnit.DAYS);
        InMemoryApiKeyStore store = new InMemoryApiKeyStore(List.of(
                ApiKeyRecord.builder().keyId("alice").principal("alice").hash(hasher.hash(ALICE_KEY.toCharArray()))
                        .environment(Environment.PROD).issuedAt(issued).groups(Set.of("chatters")).build(),
                ApiKeyRecord.builder().keyId("bob").principal("bob").hash(hasher.hash(BOB_KEY.toCharArray()))
                        .environment(Environment.TEST).issuedAt(issued).groups(Set.of("chatters")).build()));
        Path model = SharedModels.model("stories260K");
        return Assistant.builder().modelPath(model).modelName(modelName).device("cpu").metrics(metrics)
                .authenticator(ApiKeyAuthenticator.builder().hasher(hasher).store(store).environment(Environment.PROD)
                        .policies(PolicyRegistry.builder().policy("chat-only", CHAT_ONLY)
                                .attachToGroup("chatters", "chat-only").build()).build())
                .authorizer(new PolicyAuthorizer(SecurityEvents.NONE))
                .rateLimiter(LocalRateLimiter.create(RateLimitConfig.builder().defaultPlan(plan).build(), SecurityEvents.NONE))
                .build();
    }

    private static ChatRequest chat(String key) {
        ChatRequest.Builder b = ChatRequest.builder().user("Once upon a time").maxNewTokens(3);
        if (key != null) {
            b.callerKey(CallerKey.of(key));
        }
        return b.build();
    }

    private static AssistantException refused(Runnable call) {
        try {
            call.run();
        } catch (AssistantException e) {
            return e;
        }
        throw new AssertionError("the call should have been refused");
    }

    @Test
    void onlyTheRightCallerReachesTheRightModelAtTheAgreedRate() {
        InMemoryMetrics metrics = InMemoryMetrics.builder().build();
        try (Assistant a = assistant("stories", metrics, new RatePlan(1, 3, 0))) {
            assertThat(a.chat(chat(ALICE_KEY)).outputIds()).isNotEmpty();

            AssistantException missing = refused(() -> a.chat(chat(null)));
            assertThat(missing.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            assertThat(missing.reason()).isEqualTo("missing_key");

            AssistantException unknown = refused(() -> a.chat(chat("ak-mallory-guess")));
            assertThat(unknown.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            assertThat(unknown.reason()).isEqualTo("unknown_key");
            assertThat(unknown.getMessage()).doesNotContain("ak-mallory-guess");

            AssistantException wrongEnv = refused(() -> a.chat(chat(BOB_KEY)));
            assertThat(wrongEnv.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
            assertThat(wrongEnv.reason()).isEqualTo("wrong_environment");

            AssistantException generate = refused(() -> a.generate(GenerateRequest.builder().prompt("x")
                    .callerKey(CallerKey.of(ALICE_KEY)).build()));
            assertThat(generate.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(generate.getMessage()).contains("assistant:Generate").contains("model/stories");

            // burst of 3: one used above, two more pass, the next is refused with a time to wait
            a.chat(chat(ALICE_KEY));
            a.chat(chat(ALICE_KEY));
            AssistantException limited = refused(() -> a.chat(chat(ALICE_KEY)));
            assertThat(limited.code()).isEqualTo(ErrorCode.RATE_LIMITED);
            assertThat(limited.httpStatus()).isEqualTo(429);
            assertThat(limited.retryAfterNanos()).isPresent();
            assertThat(limited.retryAfterNanos().getAsLong()).isPositive();
        }
        var total = metrics.snapshot().total();
        assertThat(total.succeeded()).isEqualTo(3);
        assertThat(total.authenticationFailures()).isEqualTo(3);
        assertThat(total.policyFailures()).isEqualTo(1);
        assertThat(total.rateLimited()).isEqualTo(1);
    }

    @Test
    void explicitDenyBeatsAllow() {
        try (Assistant a = assistant("internal-finance", InMemoryMetrics.builder().build(), RatePlan.DEFAULT)) {
            AssistantException denied = refused(() -> a.chat(chat(ALICE_KEY)));
            assertThat(denied.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(denied.reason()).isEqualTo("explicit_deny");
        }
    }
}
