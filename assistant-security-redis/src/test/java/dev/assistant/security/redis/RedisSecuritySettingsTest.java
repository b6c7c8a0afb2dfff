package dev.assistant.security.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.security.Principal;
import dev.assistant.api.security.RateLimiter;
import dev.assistant.security.config.ConfigFixture;
import dev.assistant.security.config.SecurityConfigException;
import dev.assistant.security.config.SecuritySettings;
import dev.assistant.security.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With this module on the class path, {@code rateLimits.backend: redis} in the security file is a Redis limiter. */
class RedisSecuritySettingsTest {
    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.at("2025-04-01T00:00:00Z");

    @Test
    void aRedisBackendSharesOneBudgetBetweenLoadedInstances() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            ObjectNode config = ConfigFixture.valid();
            ((ObjectNode) config.get("rateLimits")).put("backend", "redis").set("redis", ConfigFixture.JSON
                    .createObjectNode().put("uriEnv", "ASSISTANT_REDIS_URI").put("keyPrefix", "cfg-test:"));
            Map<String, String> env = new HashMap<>(ConfigFixture.ENV);
            env.put("ASSISTANT_REDIS_URI", redis.uri());
            Path file = dir.resolve("security.json");
            Files.writeString(file, config.toPrettyString());
            try (SecuritySettings a = SecuritySettings.load(file, env::get, clock);
                 SecuritySettings b = SecuritySettings.load(file, env::get, clock)) {
                Principal who = a.authenticator().orElseThrow().authenticate(ConfigFixture.KEY_SEARCH.toCharArray());
                RateLimiter ra = a.rateLimiter().orElseThrow();
                RateLimiter rb = b.rateLimiter().orElseThrow();
                int admitted = 0;
                for (int i = 0; i < 6; i++) {
                    admitted += (i % 2 == 0 ? ra : rb).tryAcquire(who, "qwen").admitted() ? 1 : 0;
                }
                assertThat(admitted).isEqualTo(3);
            }
            assertThatThrownBy(() -> SecuritySettings.load(file, ConfigFixture.ENV::get, clock))
                    .isInstanceOfSatisfying(SecurityConfigException.class, e -> {
                        assertThat(e.path()).isEqualTo("rateLimits.redis.uriEnv");
                        assertThat(e.problem()).contains("ASSISTANT_REDIS_URI is not set");
                    });
        }
    }
}
