package dev.assistant.metrics.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.assistant.metrics.alert.AlertRule;
import dev.assistant.metrics.alert.AlertRules;
import dev.assistant.metrics.route.RateLimit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The alerts configuration (JSON, mapped by Jackson, validated, immutable): rule overrides with their routes, the
 * channels, the default rate limit, the default route and the key provider. Example:
 * <pre>{@code
 * {
 *   "keys": {"environment": "prod", "settings": {"provider": "env"}},
 *   "rateLimit": {"capacity": 6, "period": "PT10M"},
 *   "rules": {
 *     "high_cpu": {"channels": ["wecom", "email"]},
 *     "high_p99_latency": {"threshold": 800, "channels": ["voice", "sms"]}
 *   },
 *   "channels": {
 *     "wecom": {"type": "wecom", "key": "wecom-robot"},
 *     "email": {"type": "email", "host": "smtp.example.com", "security": "STARTTLS", "username": "alerts",
 *               "password": "smtp-password", "from": "alerts@example.com", "to": ["oncall@example.com"]},
 *     ...
 *   }
 * }
 * }</pre>
 * Rules not listed keep {@link AlertRules#defaults()} (with the guide's routes); only those four rule names are
 * accepted. Every channel a rule routes to must be configured. Durations are ISO-8601 ({@code PT5M}).
 *
 * @param keys         the key provider of the channels' secrets
 * @param rateLimit    the rate limit of channels without their own ({@link RateLimit#DEFAULT} when absent)
 * @param defaultRoute where events of rules without channels go (empty: such rules are rejected)
 * @param rules        overrides by rule name
 * @param channels     channels by name
 */
public record AlertsConfig(KeySettings keys, RateLimit rateLimit, List<String> defaultRoute,
                           Map<String, RuleSettings> rules, Map<String, ChannelSettings> channels) {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new SimpleModule("alerts-config").addDeserializer(Duration.class, new DurationText()))
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public AlertsConfig {
        keys = keys == null ? new KeySettings(null, null) : keys;
        rateLimit = rateLimit == null ? RateLimit.DEFAULT : rateLimit;
        defaultRoute = defaultRoute == null ? List.of() : List.copyOf(defaultRoute);
        rules = rules == null ? Map.of() : Map.copyOf(rules);
        channels = channels == null ? Map.of() : Map.copyOf(channels);
        List<String> known = AlertRules.defaults().stream().map(AlertRule::name).toList();
        for (String name : rules.keySet()) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown rule '" + name + "'; known: " + known);
            }
        }
        for (String name : channels.keySet()) {
            if (!AlertRule.CHANNEL_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("channel name must match " + AlertRule.CHANNEL_NAME + ", was '"
                        + name + "'");
            }
        }
        for (AlertRule rule : rulesOf(rules)) {
            checkRoute("rule " + rule.name(), rule.channels().isEmpty() ? defaultRoute : rule.channels(), channels);
        }
        checkRoute("defaultRoute", defaultRoute, channels);
    }

    /** Reads and validates {@code file}. */
    public static AlertsConfig read(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new AlertsConfigException(file.toString(), "$", "cannot be read (" + e.getClass().getSimpleName()
                    + ")");
        }
    }

    /** Parses and validates {@code json}; {@code source} names it in errors. */
    public static AlertsConfig parse(String json, String source) {
        try {
            AlertsConfig config = MAPPER.readValue(json, AlertsConfig.class);
            if (config == null) {
                throw new AlertsConfigException(source, "$", "is empty");
            }
            return config;
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new AlertsConfigException(source, path(e), String.valueOf(cause.getMessage()));
        } catch (UnrecognizedPropertyException e) {
            String at = path(e);
            String field = "." + e.getPropertyName();
            throw new AlertsConfigException(source, at.endsWith(field) ? at : at + field, "unknown field '"
                    + e.getPropertyName() + "'; known: " + e.getKnownPropertyIds());
        } catch (InvalidTypeIdException e) {
            throw new AlertsConfigException(source, path(e), "unknown or missing channel type; known: log, webhook, "
                    + "wecom, email, aliyun-sms, aliyun-voice");
        } catch (JsonMappingException e) {
            throw new AlertsConfigException(source, path(e), "wrong type or value (" + e.getClass().getSimpleName()
                    + ")");
        } catch (JsonProcessingException e) {
            throw new AlertsConfigException(source, "$", "malformed JSON at line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()));
        }
    }

    /** The default rules with this configuration's overrides, in the default order, disabled ones left out. */
    public List<AlertRule> alertRules() {
        return rulesOf(rules);
    }

    private static List<AlertRule> rulesOf(Map<String, RuleSettings> overrides) {
        List<AlertRule> out = new ArrayList<>();
        for (AlertRule rule : AlertRules.defaults()) {
            RuleSettings s = overrides.get(rule.name());
            if (s == null) {
                out.add(rule);
            } else if (s.isEnabled()) {
                out.add(s.applyTo(rule));
            }
        }
        return out;
    }

    private static void checkRoute(String owner, List<String> route, Map<String, ChannelSettings> channels) {
        if (route.isEmpty() && owner.startsWith("rule")) {
            throw new IllegalArgumentException(owner + " names no channels and there is no defaultRoute");
        }
        for (String name : route) {
            if (!channels.containsKey(name)) {
                throw new IllegalArgumentException(owner + " routes to channel '" + name + "', which is not "
                        + "configured; configured: " + new LinkedHashMap<>(channels).keySet().stream().sorted()
                        .toList());
            }
        }
    }

    private static String path(JsonMappingException e) {
        StringBuilder out = new StringBuilder("$");
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                out.append('.').append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                out.append('[').append(r.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    /** ISO-8601 durations such as {@code PT5M}. */
    private static final class DurationText extends FromStringDeserializer<Duration> {
        DurationText() {
            super(Duration.class);
        }

        @Override
        protected Duration _deserialize(String value, DeserializationContext context) throws IOException {
            try {
                return Duration.parse(value.trim());
            } catch (DateTimeParseException e) {
                throw context.weirdStringException(value, Duration.class, "not an ISO-8601 duration such as PT5M");
            }
        }
    }
}
