package dev.assistant.security;

import dev.assistant.security.testing.SecuritySteps;
import dev.assistant.api.security.Environment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.assistant.api.Secret;
import dev.assistant.security.auth.ApiKeyAuthenticator;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.InMemoryApiKeyStore;
import dev.assistant.security.key.CachingKeyProvider;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.EnvKeyProvider;
import dev.assistant.security.key.KeyCheckResult;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.KeysCheck;
import dev.assistant.security.key.SealedSecret;
import dev.assistant.security.key.hsm.Pkcs11Hsm;
import dev.assistant.security.key.hsm.Pkcs11KeyProvider;
import dev.assistant.security.key.kms.AwsKmsBackend;
import dev.assistant.security.key.kms.KmsKeyProvider;
import dev.assistant.security.lifecycle.KeyLifecycle;
import dev.assistant.api.security.Action;
import dev.assistant.security.policy.PolicyAuthorizer;
import dev.assistant.security.policy.PolicyRegistry;
import dev.assistant.security.ratelimit.LocalRateLimiter;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import dev.assistant.security.testing.KmsTestServer;
import dev.assistant.security.testing.MutableClock;
import dev.assistant.security.testing.SoftHsm;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Plants secrets (a service secret, an API key, the pepper, the HSM PIN), runs every path of the module (success
 * and each failure) with all logging captured, and looks for the secrets in every log line, exception message,
 * exception {@code toString()} (with causes) and object {@code toString()}.
 */
class NoSecretLeakTest {
    private static final String SERVICE_SECRET = "PLANTED-service-secret-" + Long.toHexString(new SecureRandom().nextLong());
    private static final String API_KEY = "ak_PLANTED-api-key-" + Long.toHexString(new SecureRandom().nextLong());
    private static final String PEPPER = "PLANTED-pepper-" + Long.toHexString(new SecureRandom().nextLong());
    private static final Instant T0 = Instant.parse("2025-02-01T00:00:00Z");

    private final List<String> texts = new ArrayList<>();
    private final List<String> julLines = new ArrayList<>();

    @Test
    void noSecretAppearsInAnyLogLineExceptionOrToString() throws Exception {
        SoftHsm.require();
        Path logFile = Path.of(System.getProperty("org.slf4j.simpleLogger.logFile", "target/security-test.log"));
        // slf4j-simple truncates its file when it initialises: do that before measuring where this test starts,
        // or a run where this is the first test to log reads from beyond the end of the new file.
        org.slf4j.LoggerFactory.getLogger(NoSecretLeakTest.class).info("no-secret test starting");
        long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
        Handler jul = new Handler() {
            @Override
            public void publish(LogRecord record) {
                julLines.add(String.valueOf(record.getMessage()) + " " + record.getParameters() + " "
                        + (record.getThrown() == null ? "" : describe(record.getThrown())));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger root = Logger.getLogger("");
        Level oldLevel = root.getLevel();
        root.addHandler(jul);
        root.setLevel(Level.ALL);
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(console, true, StandardCharsets.UTF_8);
        System.setErr(capture);
        System.setOut(capture);
        try {
            envPaths();
            hsmPaths();
            kmsPaths();
            callerPaths();
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
            root.removeHandler(jul);
            root.setLevel(oldLevel);
        }
        texts.add(console.toString(StandardCharsets.UTF_8));
        texts.addAll(julLines);
        String log = Files.exists(logFile) ? Files.readString(logFile) : "";
        texts.add(log.substring((int) Math.min(logStart, log.length())));

        // The paths really ran and logged (rotation warnings, outage warnings, failures at debug).
        assertThat(String.join("\n", texts)).contains("must be rotated").contains("serving the cached credential")
                .contains("authentication failed");
        List<String> forbidden = new ArrayList<>();
        for (String secret : List.of(SERVICE_SECRET, API_KEY, PEPPER, SoftHsm.PIN)) {
            byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
            forbidden.add(secret);
            forbidden.add(Base64.getEncoder().encodeToString(bytes));
            forbidden.add(HexFormat.of().formatHex(bytes));
        }
        for (String text : texts) {
            for (String secret : forbidden) {
                assertThat(text).as("a log line, message or toString").doesNotContain(secret);
            }
        }
    }

    private void envPaths() {
        Map<String, String> env = new HashMap<>(Map.of(
                "ASSISTANT_KEY_PROD_SVC", SERVICE_SECRET,
                "ASSISTANT_KEY_PROD_SVC_ISSUED_AT", T0.toString(),
                "ASSISTANT_KEY_PROD_NO_TIME", SERVICE_SECRET,
                "ASSISTANT_KEY_PROD_BAD_TIME", SERVICE_SECRET,
                "ASSISTANT_KEY_PROD_BAD_TIME_ISSUED_AT", SERVICE_SECRET));
        EnvKeyProvider provider = EnvKeyProvider.of("ASSISTANT_KEY", env::get);
        observe(provider);
        try (Credential c = provider.resolve(KeyReference.of("svc", Environment.PROD))) {
            observe(c);
            observe(c.secret());
        }
        for (String id : List.of("no-time", "bad-time", "absent")) {
            attempt(() -> provider.resolve(KeyReference.of(id, Environment.PROD)));
        }
        KeysCheck check = new KeysCheck(KeyLifecycle.builder().clock(new MutableClock(T0.plus(Duration.ofDays(85)))).build(),
                Environment.PROD);
        for (KeyCheckResult r : check.check(provider, List.of(KeyReference.of("svc", Environment.PROD),
                KeyReference.of("bad-time", Environment.PROD), KeyReference.of("absent", Environment.PROD)))) {
            observe(r);
            texts.add(r.summary());
        }
    }

    private void hsmPaths() {
        Map<KeyReference, String> sealed = new HashMap<>();
        try (Pkcs11KeyProvider hsm = new Pkcs11KeyProvider(Pkcs11Hsm.open(SoftHsm.config(SoftHsm.KEK)),
                ref -> Optional.ofNullable(sealed.get(ref)), new SecureRandom())) {
            observe(hsm);
            observe(SoftHsm.config(SoftHsm.KEK));
            KeyReference ref = KeyReference.of("svc", Environment.PROD);
            SealedSecret envelope = hsm.seal(ref, T0, null, Secret.adopt(SERVICE_SECRET.getBytes(StandardCharsets.UTF_8)));
            observe(envelope);
            texts.add(envelope.toJson());
            sealed.put(ref, envelope.toJson());
            try (Credential c = hsm.resolve(ref)) {
                observe(c);
            }
            KeyReference dev = KeyReference.of("svc", Environment.DEV);
            sealed.put(dev, new SealedSecret(envelope.scheme(), dev, T0, null, envelope.kek(), envelope.iv(),
                    envelope.ciphertext()).toJson());
            attempt(() -> hsm.resolve(dev));
            sealed.put(KeyReference.of("junk", Environment.PROD), "{\"v\":1,\"ct\":\"" + SERVICE_SECRET + "\"}");
            attempt(() -> hsm.resolve(KeyReference.of("junk", Environment.PROD)));
            attempt(() -> Pkcs11Hsm.open(SoftHsm.config("missing-label")));
        }
    }

    private void kmsPaths() {
        MutableClock clock = new MutableClock(T0);
        Map<KeyReference, String> sealed = new HashMap<>();
        KmsTestServer server = KmsTestServer.start();
        try {
            AwsKmsBackend backend = AwsKmsBackend.builder().endpoint(server.endpoint()).region(KmsTestServer.REGION)
                    .maxAttempts(1).credentials(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(KmsTestServer.ACCESS_KEY, KmsTestServer.SECRET_KEY))).build();
            KmsKeyProvider kms = new KmsKeyProvider(backend, ref -> Optional.ofNullable(sealed.get(ref)));
            KeyReference ref = KeyReference.of("svc", Environment.PROD);
            SealedSecret envelope = kms.seal(ref, T0, null, Secret.adopt(SERVICE_SECRET.getBytes(StandardCharsets.UTF_8)),
                    KmsTestServer.KEY_ID);
            sealed.put(ref, envelope.toJson());
            KeyReference dev = KeyReference.of("svc", Environment.DEV);
            sealed.put(dev, new SealedSecret(envelope.scheme(), dev, T0, null, envelope.kek(), null,
                    envelope.ciphertext()).toJson());
            attempt(() -> kms.resolve(dev));
            try (CachingKeyProvider cached = CachingKeyProvider.builder(kms).ttl(Duration.ofMinutes(5))
                    .refreshAfter(Duration.ofMinutes(1)).clock(clock).build()) {
                observe(cached);
                try (Credential c = cached.resolve(ref)) {
                    observe(c);
                }
                server.close();
                clock.advance(Duration.ofMinutes(2));
                try (Credential c = cached.resolve(ref)) {
                    observe(c);
                }
                clock.advance(Duration.ofMinutes(4));
                attempt(() -> cached.resolve(ref));
            }
        } finally {
            server.close();
        }
    }

    private void callerPaths() {
        MutableClock clock = new MutableClock(T0);
        ApiKeyHasher hasher = new ApiKeyHasher(Secret.adopt(PEPPER.getBytes(StandardCharsets.UTF_8)));
        observe(hasher);
        InMemoryApiKeyStore store = new InMemoryApiKeyStore();
        ApiKeyRecord record = ApiKeyRecord.builder().keyId("caller").principal("svc").hash(hasher.hash(API_KEY.toCharArray()))
                .environment(Environment.PROD).issuedAt(T0).expiresAt(T0.plus(Duration.ofDays(100)))
                .policies(List.of("guide")).build();
        store.put(record);
        observe(record);
        ApiKeyAuthenticator authenticator = ApiKeyAuthenticator.builder().hasher(hasher).store(store)
                .environment(Environment.PROD).lifecycle(KeyLifecycle.builder().clock(clock).build())
                .policies(PolicyRegistry.builder().policy("guide", dev.assistant.security.policy.PolicyAuthorizerTest.GUIDE).build()).build();
        SecuritySteps guard = new SecuritySteps(authenticator, new PolicyAuthorizer(SecurityEvents.NONE),
                LocalRateLimiter.create(RateLimitConfig.builder().defaultPlan(RatePlan.perSecond(1)).build(),
                        SecurityEvents.NONE, clock), null);
        observe(guard.admit(API_KEY.toCharArray(), Action.CHAT, "qwen"));
        attempt(() -> guard.admit(API_KEY.toCharArray(), Action.CHAT, "qwen"));          // rate limited
        attempt(() -> guard.admit(API_KEY.toCharArray(), Action.CHAT, "internal-x"));    // explicit deny
        attempt(() -> guard.admit(API_KEY.toCharArray(), Action.EMBED, "qwen"));         // default deny
        attempt(() -> guard.admit((API_KEY + "x").toCharArray(), Action.CHAT, "qwen"));  // unknown key
        attempt(() -> guard.admit(SERVICE_SECRET.toCharArray(), Action.CHAT, "qwen"));   // a secret presented as key
        clock.advance(Duration.ofDays(80));
        observe(authenticator.authenticate(API_KEY.toCharArray()));                      // rotation warning
        clock.advance(Duration.ofDays(11));
        attempt(() -> authenticator.authenticate(API_KEY.toCharArray()));                // rotated out
        store.put(record.toBuilder().environment(Environment.DEV).build());
        attempt(() -> authenticator.authenticate(API_KEY.toCharArray()));                // wrong environment
        store.put(record.toBuilder().keyId("caller").expiresAt(T0.plusSeconds(1)).build());
        attempt(() -> authenticator.authenticate(API_KEY.toCharArray()));                // expired
        attempt(() -> dev.assistant.security.policy.PolicyParser.standard().parse("p",
                "{\"version\":\"2.0\",\"statement\":[{\"effect\":\"" + SERVICE_SECRET + "\",\"action\":\"*\",\"resource\":\"*\"}]}"));
    }

    private void observe(Object o) {
        texts.add(String.valueOf(o));
    }

    private void attempt(Runnable r) {
        try {
            r.run();
            texts.add("no failure");
        } catch (RuntimeException e) {
            texts.add(describe(e));
        }
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            sb.append(c).append(" | ").append(c.getMessage()).append(" | ").append(c.getLocalizedMessage()).append('\n');
            for (Throwable s : c.getSuppressed()) {
                sb.append(describe(s));
            }
        }
        return sb.toString();
    }
}
