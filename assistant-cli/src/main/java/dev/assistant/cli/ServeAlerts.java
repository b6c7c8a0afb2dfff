package dev.assistant.cli;

import dev.assistant.api.security.Environment;
import dev.assistant.metrics.alert.AlertEngine;
import dev.assistant.metrics.config.AlertChannels;
import dev.assistant.metrics.config.AlertsConfig;
import dev.assistant.metrics.memory.MetricsSnapshot;
import dev.assistant.metrics.micrometer.AlertRouterMetrics;
import dev.assistant.metrics.route.AlertRouter;
import dev.assistant.metrics.system.SystemMonitor;
import dev.assistant.metrics.system.SystemProbe;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviders;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The alerting of {@code assistant serve --alerts-config FILE}: a system monitor and an alert engine evaluated every
 * {@code interval} on one daemon thread owned here, routing through the configuration's channels with credentials
 * from its key provider; delivery counters on the server's registry. {@link #close()} stops all of it.
 */
final class ServeAlerts implements AutoCloseable {
    private final ScheduledExecutorService scheduler;
    private final KeyProvider keys;
    private final AlertRouter router;
    private final AlertEngine engine;

    private ServeAlerts(AlertsConfig config, Supplier<MetricsSnapshot> requests, SystemProbe probe,
                        MeterRegistry registry, Duration interval, Function<String, String> variables) {
        Environment environment = Environment.parse(config.keys().environment());
        Clock clock = Clock.systemUTC();
        this.keys = KeyProviders.create(config.keys().settings(), variables, clock, SecurityEvents.NONE);
        try {
            this.router = AlertChannels.builder(AlertsTestCommand.credentials(keys, environment)).wallClock(clock)
                    .build().router(config);
        } catch (RuntimeException e) {
            keys.close();
            throw e;
        }
        AlertRouterMetrics.bindTo(registry, router);
        SystemMonitor monitor = new SystemMonitor(probe, clock);
        this.engine = AlertEngine.builder().rules(config.alertRules()).requestMetrics(requests)
                .systemMetrics(monitor::latest).notifier(router).wallClock(clock).build();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "assistant-serve-alerts");
            t.setDaemon(true);
            return t;
        });
        monitor.start(scheduler, interval);
        engine.start(scheduler, interval);
    }

    /** Starts evaluating {@code config}'s rules every {@code interval}. */
    static ServeAlerts start(AlertsConfig config, Supplier<MetricsSnapshot> requests, SystemProbe probe,
                             MeterRegistry registry, Duration interval, Function<String, String> variables) {
        return new ServeAlerts(config, requests, probe, registry, interval, variables);
    }

    AlertRouter router() {
        return router;
    }

    AlertEngine engine() {
        return engine;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        router.close();
        keys.close();
    }
}
