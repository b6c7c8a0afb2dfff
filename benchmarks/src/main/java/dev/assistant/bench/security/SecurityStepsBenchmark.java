package dev.assistant.bench.security;

import dev.assistant.api.Secret;
import dev.assistant.core.CallerKey;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.Completion;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.Usage;
import dev.assistant.core.pipeline.AuthenticationStep;
import dev.assistant.core.pipeline.AuthorizationStep;
import dev.assistant.core.pipeline.Call;
import dev.assistant.core.pipeline.CallStep;
import dev.assistant.core.pipeline.RateLimitStep;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.ApiKeys;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.api.security.Principal;
import dev.assistant.security.key.CachingKeyProvider;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.EnvKeyProvider;
import dev.assistant.security.key.KeyReference;
import dev.assistant.api.security.Action;
import dev.assistant.api.security.Decision;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.api.security.Admission;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.api.security.RateLimiter;
import dev.assistant.security.ratelimit.RatePlan;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Added latency per call of the security steps, as the assistant runs them (core's {@code AuthenticationStep},
 * {@code AuthorizationStep} and {@code RateLimitStep} linked in front of a generation step that returns at once),
 * each component alone,
 * and a key provider's resolve uncached vs cached (environment provider; the cache is the same for HSM/KMS).
 * 1 000 stored keys, the deployment guide's policy plus a group policy; the rate plan is high enough that every
 * call is admitted, so the numbers are the cost of the check, not of refusals.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SecurityStepsBenchmark {
    private static final String GUIDE = "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":[\"assistant:Chat\"],"
            + "\"resource\":[\"model/*\"]},{\"effect\":\"deny\",\"action\":[\"assistant:*\"],\"resource\":[\"model/internal-*\"]}]}";
    private static final String EMBED = "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"allow\",\"action\":\"assistant:Embed\","
            + "\"resource\":[\"model/bge-*\",\"model/e5-*\"]}]}";

    private char[] key;
    private ApiKeyAuthenticator authenticator;
    private PolicyAuthorizer authorizer;
    private RateLimiter limiter;
    private CallStep.Chain securitySteps;
    private ChatRequest request;
    private long requestNumber;
    private Principal principal;
    private EnvKeyProvider envProvider;
    private CachingKeyProvider cachedEnvProvider;
    private KeyReference reference;

    @Setup
    public void setUp() {
        SecureRandom random = new SecureRandom();
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt("bench-pepper-0123456789abcdef".getBytes(StandardCharsets.UTF_8)));
        List<ApiKeyRecord> records = new ArrayList<>();
        Instant issued = Instant.now().minus(Duration.ofDays(1));
        for (int i = 0; i < 1_000; i++) {
            char[] k = ApiKeys.generate(random);
            if (i == 500) {
                key = k;
            }
            records.add(ApiKeyRecord.builder().keyId("key-" + i).principal("svc-" + i).hash(hasher.hash(k))
                    .environment(Environment.PROD).issuedAt(issued).groups(Set.of("search"))
                    .policies(List.of("guide")).build());
        }
        PolicyRegistry policies = PolicyRegistry.builder().policy("guide", GUIDE).policy("embed", EMBED)
                .attachToGroup("search", "embed").build();
        authenticator = ApiKeyAuthenticator.builder().hasher(hasher).store(new InMemoryApiKeyStore(records))
                .environment(Environment.PROD).policies(policies).build();
        authorizer = new PolicyAuthorizer(SecurityEvents.NONE);
        limiter = LocalRateLimiter.create(RateLimitConfig.builder()
                .defaultPlan(new RatePlan(1_000_000_000L, 1_000_000_000L, 0)).build(), SecurityEvents.NONE);
        Principal anonymous = Principal.anonymous(Environment.PROD);
        Completion done = new Completion("bench", "qwen2-0.5b", new int[0], new int[0], "", new Usage(0, 0, 0, 0, FinishReason.LENGTH));
        securitySteps = CallStep.link(List.of(new AuthenticationStep(authenticator),
                new AuthorizationStep(authorizer, anonymous), new RateLimitStep(limiter, anonymous)), call -> CompletableFuture.completedFuture(done));
        request = ChatRequest.builder().user("hi").callerKey(CallerKey.of(key)).build();
        principal = authenticator.authenticate(key);

        reference = KeyReference.of("upstream", Environment.PROD);
        byte[] secret = new byte[32];
        new Random(7).nextBytes(secret);
        Map<String, String> env = Map.of(
                "ASSISTANT_KEY_PROD_UPSTREAM", java.util.HexFormat.of().formatHex(secret),
                "ASSISTANT_KEY_PROD_UPSTREAM_ISSUED_AT", issued.toString());
        envProvider = EnvKeyProvider.of("ASSISTANT_KEY", env::get);
        cachedEnvProvider = CachingKeyProvider.builder(envProvider).ttl(Duration.ofMinutes(5)).build();
    }

    /** The whole security chain a facade call pays: authenticate + authorize + local rate-limit (+ the call). */
    @Benchmark
    public Completion authenticateAuthorizeRateLimit() {
        Call call = Call.chat("r" + requestNumber++, "qwen2-0.5b", request, delta -> { }, 0L, Long.MAX_VALUE);
        return securitySteps.proceed(call).join();
    }

    @Benchmark
    public Principal authenticateOnly() {
        return authenticator.authenticate(key);
    }

    @Benchmark
    public Decision authorizeOnly() {
        return authorizer.authorize(principal, Action.CHAT, "model/qwen2-0.5b");
    }

    @Benchmark
    public Admission localRateLimitOnly() {
        return limiter.tryAcquire(principal, "qwen2-0.5b");
    }

    @Benchmark
    public int envResolveUncached() {
        try (Credential c = envProvider.resolve(reference)) {
            return c.secret().length();
        }
    }

    @Benchmark
    public int envResolveCached() {
        try (Credential c = cachedEnvProvider.resolve(reference)) {
            return c.secret().length();
        }
    }
}
