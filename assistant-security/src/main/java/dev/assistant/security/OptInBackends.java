package dev.assistant.security;

/**
 * The backends that live in opt-in artifacts, so that a host without them carries none of their dependencies (the
 * AWS SDK and its HTTP client; Lettuce, Netty and Reactor). A configuration that names one of them without its
 * artifact on the class path fails with a message naming the artifact to add.
 */
public final class OptInBackends {
    /** The AWS KMS key provider ({@code provider: kms}). */
    public static final String KMS_ARTIFACT = "io.github.assistant-sdk:assistant-security-kms";
    /** The Redis rate limiter ({@code rateLimits.backend: redis}). */
    public static final String REDIS_ARTIFACT = "io.github.assistant-sdk:assistant-security-redis";

    private OptInBackends() {
    }

    /** The artifact that provides key provider {@code name}, or {@code null} when it is not an opt-in one. */
    public static String keyProviderArtifact(String name) {
        return "kms".equals(name) ? KMS_ARTIFACT : null;
    }

    /** The artifact that provides rate-limit backend {@code name}, or {@code null} when it is not an opt-in one. */
    public static String rateLimitArtifact(String name) {
        return "redis".equals(name) ? REDIS_ARTIFACT : null;
    }

    /** The sentence telling the operator what to add. */
    public static String missing(String what, String artifact) {
        return what + " is in the opt-in artifact " + artifact + ", which is not on the class path; add it as a"
                + " dependency of the application (see the assistant-security README, \"Opt-in backends\")";
    }
}
