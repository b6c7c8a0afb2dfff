package dev.assistant.security.redis;

import dev.assistant.api.security.RateLimiter;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.ratelimit.FailureMode;
import dev.assistant.security.ratelimit.RateLimitConfig;
import dev.assistant.security.ratelimit.RatePlan;
import java.util.concurrent.TimeUnit;

/**
 * Child-JVM main for the two-JVM test: waits until a shared start instant, then hammers one Redis-backed key as
 * fast as it can for a fixed time and prints {@code admitted attempts startMillis endMillis}.
 */
public final class RedisHammer {
    private RedisHammer() {
    }

    public static void main(String[] args) throws Exception {
        String uri = args[0];
        String keyId = args[1];
        long startAtMillis = Long.parseLong(args[2]);
        long durationMillis = Long.parseLong(args[3]);
        RateLimiter limiter = RedisRateLimiter.builder().uri(uri).config(RateLimitConfig.defaults())
                .events(SecurityEvents.NONE).build();
        try {
            // Connect before the start so both JVMs begin together.
            limiter.tryAcquire(RedisRateLimiterTest.caller("warm-up-" + keyId + "-" + ProcessHandle.current().pid()), "m");
            while (System.currentTimeMillis() < startAtMillis) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            long start = System.currentTimeMillis();
            long end = start + durationMillis;
            int admitted = 0;
            int attempts = 0;
            while (System.currentTimeMillis() < end) {
                attempts++;
                if (limiter.tryAcquire(RedisRateLimiterTest.caller(keyId), "m").admitted()) {
                    admitted++;
                }
            }
            System.out.println(admitted + " " + attempts + " " + start + " " + System.currentTimeMillis());
        } finally {
            limiter.close();
        }
    }
}
