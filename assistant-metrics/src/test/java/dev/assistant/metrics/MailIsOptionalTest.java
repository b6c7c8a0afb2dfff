package dev.assistant.metrics;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Jakarta Mail is optional: a configuration without e-mail channels parses, builds its router and routes on a
 * class path without angus-mail, jakarta.mail or jakarta.activation.
 */
class MailIsOptionalTest {
    @Test
    void routingWithoutEmailChannelsRunsWithoutJakartaMail() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("angus") && !entry.contains("jakarta.mail") && !entry.contains("jakarta.activation")
                    && !entry.contains("greenmail")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]),
                ClassLoader.getPlatformClassLoader())) {
            assertThatThrownBy(() -> Class.forName("jakarta.mail.Session", false, loader))
                    .isInstanceOf(ClassNotFoundException.class);
            Object result = Class.forName(Scenario.class.getName(), true, loader).getMethod("run").invoke(null);
            assertThat(result).isEqualTo("delivered by log");
        }
    }

    /** Loaded in the mail-free class loader. */
    public static final class Scenario {
        public static String run() {
            var config = dev.assistant.metrics.config.AlertsConfig.parse("""
                    {"channels": {"wecom": {"type": "log"}, "email": {"type": "log"}, "sms": {"type": "log"},
                                  "voice": {"type": "log"}, "log": {"type": "log"}},
                     "rules": {"high_memory": {"channels": ["log"]}}}""", "inline");
            try (var router = dev.assistant.metrics.config.AlertChannels.builder(keyId -> {
                throw new IllegalStateException("no secrets needed");
            }).build().router(config)) {
                var rule = config.alertRules().get(1);
                var at = java.time.Instant.parse("2026-01-01T00:00:00Z");
                var report = router.deliverNow(new dev.assistant.metrics.alert.AlertEvent(rule.name(),
                        rule.severity(), dev.assistant.metrics.alert.AlertEvent.Status.FIRING, false, 0.95,
                        rule.threshold(), "memory", "95%", "90%", rule.summary(), at, at, rule.channels()));
                return "delivered by " + report.deliveredBy().orElse("-");
            }
        }
    }
}
