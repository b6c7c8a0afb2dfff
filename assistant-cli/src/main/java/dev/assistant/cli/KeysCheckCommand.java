package dev.assistant.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.security.Environment;
import dev.assistant.security.SecurityEvents;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.config.SecurityConfig;
import dev.assistant.security.key.KeyCheckResult;
import dev.assistant.security.key.KeyProvider;
import dev.assistant.security.key.KeyProviderException;
import dev.assistant.security.key.KeyProviders;
import dev.assistant.security.key.KeyReference;
import dev.assistant.security.key.KeysCheck;
import dev.assistant.security.lifecycle.KeyLifecycle;
import dev.assistant.security.lifecycle.LifecycleVerdict;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code assistant keys check}: resolves every configured key reference through the configured provider (the
 * hashing pepper, plus {@code --key} ids) and judges every API key record of the file by the lifecycle rules.
 * One line per provider and key: status ({@code OK}, {@code WARN}, {@code ERROR}), code, reason, expiry and
 * rotation. Secrets are resolved only to be judged and are wiped at once; nothing secret is printed. Exit code 0
 * when every line is OK or WARN, 1 otherwise.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Resolve configured keys and report, per provider and key, OK or the error (no secrets).")
final class KeysCheckCommand implements Callable<Integer> {
    static final String RECORDS = "records";

    @Spec
    CommandSpec spec;

    @Mixin
    ProviderOptions provider;

    @Option(names = "--key", paramLabel = "KEY_ID", description = "also resolve this key id (repeatable)")
    List<String> keys = new ArrayList<>();

    @Option(names = "--warn-expiry", paramLabel = "DURATION", defaultValue = "P14D",
            description = "warn when a key expires within this ISO-8601 duration (default: ${DEFAULT-VALUE})")
    Duration warnExpiry;

    @Option(names = "--json", description = "one JSON array instead of the table")
    boolean json;

    @Override
    public Integer call() {
        Clock clock = Clock.systemUTC();
        Optional<SecurityConfig> config = provider.load(spec);
        Environment environment = provider.environment(config, spec);
        Map<String, String> settings = provider.providerSettings(config);
        KeyLifecycle lifecycle = config.map(c -> c.lifecycle(clock)).orElseGet(() -> KeyLifecycle.builder()
                .clock(clock).build());

        Set<KeyReference> references = new LinkedHashSet<>();
        config.flatMap(SecurityConfig::pepper).ifPresent(references::add);
        for (String keyId : keys) {
            try {
                references.add(KeyReference.of(keyId, environment));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--key: " + e.getMessage());
            }
        }
        List<ApiKeyRecord> records = config.flatMap(SecurityConfig::keys).orElse(List.of());
        if (references.isEmpty() && records.isEmpty()) {
            throw new ParameterException(spec.commandLine(),
                    "nothing to check: the configuration names no pepper and no API keys, and no --key was given");
        }

        List<Line> lines = new ArrayList<>();
        if (!references.isEmpty()) {
            String providerName = settings.getOrDefault("provider", "env");
            try (KeyProvider keyProvider = KeyProviders.create(settings, System::getenv, clock, SecurityEvents.NONE)) {
                for (KeyCheckResult result : new KeysCheck(lifecycle, environment).check(keyProvider, references)) {
                    lines.add(Line.of(result, clock.instant(), warnExpiry));
                }
            } catch (KeyProviderException e) {
                // The provider itself could not be set up (missing PIN variable, unreadable module...).
                for (KeyReference reference : references) {
                    lines.add(new Line(providerName, reference, Status.ERROR, e.failure().code(), e.getMessage(),
                            null, null));
                }
            }
        }
        for (ApiKeyRecord record : records) {
            lines.add(Line.of(record, lifecycle.evaluate(environment, record.environment(), record.issuedAt(),
                    record.expiresAt().orElse(null), record.retiredAt().orElse(null)), clock.instant(), warnExpiry));
        }
        print(lines, spec.commandLine().getOut());
        return lines.stream().allMatch(l -> l.status != Status.ERROR) ? 0 : 1;
    }

    private void print(List<Line> lines, PrintWriter out) {
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ArrayNode array = mapper.createArrayNode();
            for (Line line : lines) {
                ObjectNode node = array.addObject();
                node.put("provider", line.provider);
                node.put("keyId", line.reference.keyId());
                node.put("environment", line.reference.environment().id());
                node.put("status", line.status.name());
                node.put("code", line.code);
                node.put("detail", line.detail);
                node.put("expiresAt", line.expiresAt == null ? null : line.expiresAt.toString());
                node.put("rotationDueDays", line.rotationDue == null ? null : line.rotationDue.toDays());
            }
            out.println(array);
        } else {
            out.printf("%-8s %-32s %-6s %-18s %s%n", "PROVIDER", "KEY", "STATUS", "CODE", "DETAIL");
            for (Line line : lines) {
                out.printf("%-8s %-32s %-6s %-18s %s%n", line.provider, line.reference, line.status, line.code,
                        line.detail);
            }
            long errors = lines.stream().filter(l -> l.status == Status.ERROR).count();
            long warnings = lines.stream().filter(l -> l.status == Status.WARN).count();
            out.printf("%d checked: %d ok, %d warnings, %d errors%n", lines.size(),
                    lines.size() - errors - warnings, warnings, errors);
        }
        out.flush();
    }

    enum Status { OK, WARN, ERROR }

    /** One report line; holds names, codes and times only. */
    record Line(String provider, KeyReference reference, Status status, String code, String detail,
                Instant expiresAt, Duration rotationDue) {
        static Line of(KeyCheckResult r, Instant now, Duration warnExpiry) {
            if (!r.ok()) {
                return new Line(r.provider(), r.reference(), Status.ERROR, r.code(), r.detail(), r.expiresAt(),
                        r.rotationDue());
            }
            return judged(r.provider(), r.reference(), r.code(), r.expiresAt(), r.rotationDue(), now, warnExpiry);
        }

        static Line of(ApiKeyRecord record, LifecycleVerdict verdict, Instant now, Duration warnExpiry) {
            KeyReference reference = KeyReference.of(record.keyId(), record.environment());
            Instant expiresAt = record.expiresAt().orElse(null);
            if (!verdict.accepted()) {
                return new Line(RECORDS, reference, Status.ERROR, verdict.reason(),
                        "API key record rejected: " + verdict.reason(), expiresAt, null);
            }
            String code = verdict.status() == LifecycleVerdict.Status.NEARING_ROTATION
                    ? KeyCheckResult.NEARING_ROTATION : KeyCheckResult.OK;
            return judged(RECORDS, reference, code, expiresAt, verdict.rotationDue(), now, warnExpiry);
        }

        private static Line judged(String provider, KeyReference reference, String code, Instant expiresAt,
                                   Duration rotationDue, Instant now, Duration warnExpiry) {
            List<String> notes = new ArrayList<>();
            boolean warn = KeyCheckResult.NEARING_ROTATION.equals(code);
            if (rotationDue != null) {
                notes.add((warn ? "ROTATE within " : "rotate within ") + days(rotationDue));
            }
            String finalCode = code;
            if (expiresAt != null) {
                Duration left = Duration.between(now, expiresAt);
                boolean soon = left.compareTo(warnExpiry) <= 0;
                notes.add((soon ? "EXPIRES in " : "expires in ") + days(left) + " (" + expiresAt + ")");
                if (soon && !warn) {
                    warn = true;
                    finalCode = "expiring_soon";
                }
            }
            return new Line(provider, reference, warn ? Status.WARN : Status.OK, finalCode,
                    notes.isEmpty() ? "resolved" : String.join("; ", notes), expiresAt, rotationDue);
        }

        private static String days(Duration d) {
            long days = d.toDays();
            return days >= 1 ? days + " days" : Math.max(0, d.toHours()) + " hours";
        }
    }
}
