package dev.assistant.security.policy;

import dev.assistant.api.security.Action;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses CAM-style policy JSON and rejects anything malformed, naming the wrong field:
 * <pre>
 * {"version":"2.0","statement":[
 *   {"effect":"allow","action":["assistant:Chat"],"resource":["model/*"]},
 *   {"sid":"no-internal","effect":"deny","action":["assistant:*"],"resource":["model/internal-*"]}]}
 * </pre>
 * Rules: {@code version} is {@code "2.0"}; {@code statement} is a non-empty array (a single object is accepted
 * too); each statement has {@code effect} ({@code allow}/{@code deny}), {@code action} and {@code resource} (a
 * string or a non-empty array of strings) and an optional {@code sid}. Actions are {@code service:Operation}
 * patterns where {@code *} is a wildcard, and a literal action must be a known one (so a typo cannot silently grant
 * nothing or everything). Resources are {@code *} or {@code <type>/<pattern>} with a known type ({@code model}).
 * Unknown fields (for example {@code condition}) are rejected rather than ignored, since ignoring a condition
 * would widen access. Thread-safe.
 */
public final class PolicyParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ACTION = Pattern.compile("\\*|[a-z*][a-z0-9*-]*:[A-Za-z0-9*]+");
    private static final Pattern RESOURCE_PATTERN = Pattern.compile("[A-Za-z0-9._:/*@+=-]+");
    private static final Set<String> ROOT_FIELDS = Set.of("version", "statement");
    private static final Set<String> STATEMENT_FIELDS = Set.of("sid", "effect", "action", "resource");

    private final Set<String> knownActions;
    private final Set<String> resourceTypes;

    private PolicyParser(Set<Action> knownActions, Set<String> resourceTypes) {
        Set<String> names = new java.util.HashSet<>();
        knownActions.forEach(a -> names.add(a.lowerName()));
        this.knownActions = Set.copyOf(names);
        this.resourceTypes = Set.copyOf(resourceTypes);
    }

    /** Knows {@link Action#KNOWN} and the resource type {@code model}. */
    public static PolicyParser standard() {
        return new PolicyParser(Action.KNOWN, Set.of("model"));
    }

    /** A parser for hosts that add actions or resource types of their own. */
    public static PolicyParser of(Set<Action> knownActions, Set<String> resourceTypes) {
        return new PolicyParser(Objects.requireNonNull(knownActions), Objects.requireNonNull(resourceTypes));
    }

    /**
     * Parses {@code json} as policy {@code name}.
     *
     * @throws InvalidPolicyException naming the field that is wrong
     */
    public Policy parse(String name, String json) {
        Objects.requireNonNull(name, "name");
        JsonNode root;
        try {
            root = JSON.readTree(json == null ? "" : json);
        } catch (JsonProcessingException e) {
            throw new InvalidPolicyException(name, "$", "not valid JSON at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidPolicyException(name, "$", "must be a JSON object");
        }
        rejectUnknown(name, root, ROOT_FIELDS, "");
        JsonNode version = root.get("version");
        if (version == null || !version.isTextual() || !"2.0".equals(version.textValue())) {
            throw new InvalidPolicyException(name, "version", "must be \"2.0\"");
        }
        JsonNode statements = root.get("statement");
        if (statements == null || statements.isNull()) {
            throw new InvalidPolicyException(name, "statement", "is missing");
        }
        List<Statement> parsed = new ArrayList<>();
        if (statements.isObject()) {
            parsed.add(statement(name, statements, "statement"));
        } else if (statements.isArray() && !statements.isEmpty()) {
            for (int i = 0; i < statements.size(); i++) {
                parsed.add(statement(name, statements.get(i), "statement[" + i + "]"));
            }
        } else {
            throw new InvalidPolicyException(name, "statement", "must be a non-empty array of statements");
        }
        return new Policy(name, parsed);
    }

    private Statement statement(String policy, JsonNode node, String path) {
        if (!node.isObject()) {
            throw new InvalidPolicyException(policy, path, "must be an object");
        }
        rejectUnknown(policy, node, STATEMENT_FIELDS, path + ".");
        String sid = null;
        JsonNode sidNode = node.get("sid");
        if (sidNode != null && !sidNode.isNull()) {
            if (!sidNode.isTextual()) {
                throw new InvalidPolicyException(policy, path + ".sid", "must be a string");
            }
            sid = sidNode.textValue();
        }
        JsonNode effectNode = node.get("effect");
        if (effectNode == null || !effectNode.isTextual()) {
            throw new InvalidPolicyException(policy, path + ".effect", "must be \"allow\" or \"deny\"");
        }
        Effect effect = switch (effectNode.textValue().toLowerCase(Locale.ROOT)) {
            case "allow" -> Effect.ALLOW;
            case "deny" -> Effect.DENY;
            default -> throw new InvalidPolicyException(policy, path + ".effect", "must be \"allow\" or \"deny\"");
        };
        List<String> actions = strings(policy, node.get("action"), path + ".action");
        for (int i = 0; i < actions.size(); i++) {
            String action = actions.get(i);
            String field = path + ".action[" + i + "]";
            if (!ACTION.matcher(action.toLowerCase(Locale.ROOT)).matches()
                    && !ACTION.matcher(action).matches()) {
                throw new InvalidPolicyException(policy, field, "must look like service:Operation (with * wildcards)");
            }
            if (!action.contains("*") && !knownActions.contains(action.toLowerCase(Locale.ROOT))) {
                throw new InvalidPolicyException(policy, field, "unknown action '" + action + "'");
            }
        }
        List<String> resources = strings(policy, node.get("resource"), path + ".resource");
        for (int i = 0; i < resources.size(); i++) {
            String resource = resources.get(i);
            String field = path + ".resource[" + i + "]";
            if (resource.equals("*")) {
                continue;
            }
            int slash = resource.indexOf('/');
            if (slash <= 0 || !resourceTypes.contains(resource.substring(0, slash))
                    || !RESOURCE_PATTERN.matcher(resource).matches() || slash == resource.length() - 1) {
                throw new InvalidPolicyException(policy, field,
                        "must be * or <type>/<name pattern> with type in " + resourceTypes);
            }
        }
        return new Statement(sid, effect, actions, resources);
    }

    private static List<String> strings(String policy, JsonNode node, String path) {
        if (node == null || node.isNull()) {
            throw new InvalidPolicyException(policy, path, "is missing");
        }
        List<String> values = new ArrayList<>();
        if (node.isTextual()) {
            values.add(node.textValue());
        } else if (node.isArray() && !node.isEmpty()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (!item.isTextual() || item.textValue().isBlank()) {
                    throw new InvalidPolicyException(policy, path + "[" + i + "]", "must be a non-empty string");
                }
                values.add(item.textValue());
            }
        } else {
            throw new InvalidPolicyException(policy, path, "must be a string or a non-empty array of strings");
        }
        for (String v : values) {
            if (v.isBlank()) {
                throw new InvalidPolicyException(policy, path, "must not be blank");
            }
        }
        return values;
    }

    private static void rejectUnknown(String policy, JsonNode node, Set<String> allowed, String prefix) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!allowed.contains(field)) {
                throw new InvalidPolicyException(policy, prefix + field, "unknown field (allowed: "
                        + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
        }
    }
}
