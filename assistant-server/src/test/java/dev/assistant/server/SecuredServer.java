package dev.assistant.server;

import dev.assistant.core.testing.SharedModels;
import dev.assistant.api.Secret;
import dev.assistant.core.Assistant;
import dev.assistant.metrics.micrometer.MicrometerMetricsListener;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.api.security.Authenticator;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import io.github.bucket4j.TimeMeter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

/**
 * A server on loopback (port 0) over two real assistants of the shared stories260K model, with the SDK's own
 * security: keyed authentication, a policy that lets the "chatters" group use {@code model/stories*} but not
 * {@code model/secret-*}, and a rate limit whose clock never advances (so the limited key's burst of
 * {@link #LIMITED_BURST} is all it gets: deterministic 429s).
 */
final class SecuredServer implements AutoCloseable {
    static final String MODEL = "stories";
    static final String FORBIDDEN_MODEL = "secret-stories";
    static final String ALICE_KEY = "sk-alice-5f1c2e9a7b3d4c80";
    static final String LIMITED_KEY = "sk-carol-0a1b2c3d4e5f6a7b";
    static final int LIMITED_BURST = 2;
    private static final String POLICY = """
            {"version":"2.0","statement":[
              {"effect":"allow","action":["assistant:Chat","assistant:Generate"],"resource":["model/*"]},
              {"effect":"deny","action":["assistant:*"],"resource":["model/secret-*"]}]}""";

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final Assistant assistant;
    final Assistant forbidden;
    final OpenAiServer server;

    SecuredServer(ServerConfig.Builder config) {
        Path model = SharedModels.model("stories260K");
        MicrometerMetricsListener metrics = MicrometerMetricsListener.bindTo(registry);
        this.assistant = assistant(model, MODEL, metrics);
        this.forbidden = assistant(model, FORBIDDEN_MODEL, metrics);
        this.server = OpenAiServer.builder().config(config.host("127.0.0.1").port(0).build())
                .model(assistant).model(forbidden).registry(registry).authenticator(authenticator()).build()
                .start();
    }

    SecuredServer() {
        this(ServerConfig.builder());
    }

    String baseUrl() {
        return server.baseUrl();
    }

    private static Assistant assistant(Path model, String name, MicrometerMetricsListener metrics) {
        TimeMeter frozen = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return 0;
            }

            @Override
            public boolean isWallClockBased() {
                return false;
            }
        };
        RateLimitConfig limits = RateLimitConfig.builder().defaultPlan(new RatePlan(1, 1_000_000, 0))
                .keyPlan("carol", new RatePlan(1, LIMITED_BURST, 0)).build();
        return Assistant.builder().modelPath(model).modelName(name).device("cpu").workers(4).queueCapacity(64)
                .defaultTimeout(Duration.ofMinutes(1)).metrics(metrics)
                .authenticator(authenticator())
                .authorizer(new PolicyAuthorizer(SecurityEvents.NONE))
                .rateLimiter(LocalRateLimiter.create(limits, SecurityEvents.NONE, frozen))
                .build();
    }

    static Authenticator authenticator() {
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt("server-test-pepper".getBytes(StandardCharsets.UTF_8)));
        Instant issued = Instant.now().minus(1, ChronoUnit.DAYS);
        InMemoryApiKeyStore store = new InMemoryApiKeyStore(List.of(
                ApiKeyRecord.builder().keyId("alice").principal("alice").hash(hasher.hash(ALICE_KEY.toCharArray()))
                        .environment(Environment.PROD).issuedAt(issued).groups(Set.of("chatters")).build(),
                ApiKeyRecord.builder().keyId("carol").principal("carol").hash(hasher.hash(LIMITED_KEY.toCharArray()))
                        .environment(Environment.PROD).issuedAt(issued).groups(Set.of("chatters")).build()));
        return ApiKeyAuthenticator.builder().hasher(hasher).store(store).environment(Environment.PROD)
                .policies(PolicyRegistry.builder().policy("chat", POLICY).attachToGroup("chatters", "chat").build())
                .build();
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            assistant.close();
            forbidden.close();
        }
    }
}
