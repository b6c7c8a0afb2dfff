package dev.assistant.cli;

import dev.assistant.api.Secret;
import dev.assistant.metrics.alert.AlertEvent;
import dev.assistant.metrics.alert.AlertRule;
import dev.assistant.metrics.config.AlertChannels;
import dev.assistant.metrics.config.AlertsConfig;
import dev.assistant.metrics.route.AlertRouter;
import dev.assistant.metrics.route.CredentialSource;
import dev.assistant.metrics.route.DeliveryReport;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.key.Credential;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviders;
import dev.assistant.security.key.KeyReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code assistant alerts test --rule NAME --config FILE}: sends one test notification for rule {@code NAME}
 * through its configured route, exactly as a real alert would go (primary channel, then the fallbacks, with the
 * key provider of the configuration), and prints what each channel did. Exit code 0 when a channel delivered it,
 * 1 when none did. Credentials are resolved per delivery and never printed.
 */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = "Send a test alert through a rule's route (primary, then fallbacks) and report each channel.")
final class AlertsTestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--rule", paramLabel = "NAME", required = true, description = "the rule whose route to test")
    String rule;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true,
            description = "alerts configuration (JSON) with the channels")
    Path config;

    @Option(names = "--resolved", description = "send a RESOLVED notification instead of FIRING")
    boolean resolved;

    @Override
    public Integer call() {
        AlertsConfig alerts = AlertsConfig.read(config);
        AlertRule target = alerts.alertRules().stream().filter(r -> r.name().equals(rule)).findFirst()
                .orElseThrow(() -> new ParameterException(spec.commandLine(), "--rule: no enabled rule '" + rule
                        + "'; rules: " + alerts.alertRules().stream().map(AlertRule::name).toList()));
        Environment environment;
        try {
            environment = Environment.parse(alerts.keys().environment());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "keys.environment: " + e.getMessage());
        }
        Clock clock = Clock.systemUTC();
        PrintWriter out = spec.commandLine().getOut();
        try (KeyProvider keys = KeyProviders.create(alerts.keys().settings(), System::getenv, clock,
                SecurityEvents.NONE);
             AlertRouter router = AlertChannels.builder(credentials(keys, environment)).wallClock(clock).build()
                     .router(alerts)) {
            AlertEvent event = testEvent(target, clock.instant());
            out.println("test alert " + target.name() + " (" + event.status() + ") via " + router.route(event));
            DeliveryReport report = router.deliverNow(event);
            for (DeliveryReport.Attempt a : report.attempts()) {
                out.println(String.format(Locale.ROOT, "  %-12s %-12s %s", a.channel(), a.outcome(), a.reason())
                        .stripTrailing());
            }
            out.println(report.deliveredBy().map(c -> "delivered by " + c).orElse("NOT delivered on any channel"));
            out.flush();
            return report.delivered() ? 0 : 1;
        }
    }

    private AlertEvent testEvent(AlertRule r, Instant now) {
        return new AlertEvent(r.name(), r.severity(), resolved ? AlertEvent.Status.RESOLVED : AlertEvent.Status.FIRING,
                false, Double.NaN, r.threshold(), r.signal().describe(), "(test)", r.signal().format(r.threshold()),
                "TEST NOTIFICATION sent by `assistant alerts test` to check the route; nothing is wrong. "
                        + r.summary(), now, now, r.channels());
    }

    /** Key ids of the configuration resolved through the configured key provider, in its environment. */
    static CredentialSource credentials(KeyProvider keys, Environment environment) {
        return keyId -> {
            try (Credential c = keys.resolve(KeyReference.of(keyId, environment))) {
                return Secret.adopt(c.secret().bytes());
            }
        };
    }
}
