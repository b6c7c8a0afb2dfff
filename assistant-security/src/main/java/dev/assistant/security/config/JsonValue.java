package dev.assistant.security.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.assistant.security.key.KeyReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A strict, path-aware view of one JSON value: every accessor checks the type and fails with a
 * {@link SecurityConfigException} naming the JSON path. Values are never copied into messages.
 */
final class JsonValue {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");
    /** Longer field names are not echoed: real ones are short, secrets are long. */
    private static final int MAX_SHOWN_NAME = 40;

    private final JsonNode node;
    private final String path;
    private final Path file;

    private JsonValue(JsonNode node, String path, Path file) {
        this.node = node;
        this.path = path;
        this.file = file;
    }

    /** Parses a whole document; {@code file} is only for messages (may be {@code null}). */
    static JsonValue parse(String json, Path file) {
        try {
            JsonNode root = JSON.readTree(json == null ? "" : json);
            if (root == null || root.isMissingNode()) {
                throw new SecurityConfigException(file, "$", "the document is empty");
            }
            return new JsonValue(root, "$", file);
        } catch (JsonProcessingException e) {
            // Jackson's message may quote the input, which may hold a secret: only the location is reported.
            String what = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")
                    ? "a field appears twice" : "not valid JSON";
            throw new SecurityConfigException(file, "$", what + " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr());
        }
    }

    /** Reads and parses {@code file}. */
    static JsonValue read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SecurityConfigException(file, "$", "cannot read the file (" + e.getClass().getSimpleName() + ")");
        }
        return parse(text, file);
    }

    String path() {
        return path;
    }

    Path file() {
        return file;
    }

    SecurityConfigException fail(String problem) {
        return new SecurityConfigException(file, path, problem);
    }

    /** This value as an object whose fields are all among {@code allowed}. */
    JsonValue object(Set<String> allowed) {
        if (!node.isObject()) {
            throw fail("must be a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw child(name).fail("unknown field (allowed here: " + String.join(", ", new TreeSet<>(allowed))
                        + ")");
            }
        }
        return this;
    }

    /** The field, when present and not {@code null}. */
    Optional<JsonValue> optional(String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(new JsonValue(value, childPath(field), file));
    }

    JsonValue required(String field) {
        return optional(field).orElseThrow(() -> child(field).fail("is required"));
    }

    boolean has(String field) {
        return optional(field).isPresent();
    }

    /** The fields of an object, in document order (names unchecked). */
    Map<String, JsonValue> fields() {
        if (!node.isObject()) {
            throw fail("must be a JSON object");
        }
        Map<String, JsonValue> fields = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> fields.put(e.getKey(), new JsonValue(e.getValue(), childPath(e.getKey()), file)));
        return fields;
    }

    List<JsonValue> elements() {
        if (!node.isArray()) {
            throw fail("must be a JSON array");
        }
        List<JsonValue> list = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            list.add(new JsonValue(node.get(i), path(path) + "[" + i + "]", file));
        }
        return list;
    }

    String text() {
        if (!node.isTextual() || node.textValue().isBlank()) {
            throw fail("must be a non-empty string");
        }
        return node.textValue();
    }

    /** An integer in {@code [min, max]}; fractions and numeric strings are rejected. */
    long integer(long min, long max) {
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            throw fail("must be an integer");
        }
        long value = node.longValue();
        if (value < min || value > max) {
            throw fail("must be between " + min + " and " + max);
        }
        return value;
    }

    /** A positive ISO-8601 duration such as {@code PT5M} or {@code P90D}. */
    Duration duration() {
        String text = text();
        try {
            Duration d = Duration.parse(text);
            if (d.isNegative() || d.isZero()) {
                throw fail("must be a positive duration");
            }
            return d;
        } catch (DateTimeParseException e) {
            throw fail("must be an ISO-8601 duration such as PT5M or P90D");
        }
    }

    Instant instant() {
        try {
            return Instant.parse(text());
        } catch (DateTimeParseException e) {
            throw fail("must be an ISO-8601 instant such as 2025-01-01T00:00:00Z");
        }
    }

    /** An array of non-empty strings. */
    List<String> strings() {
        List<String> values = new ArrayList<>();
        for (JsonValue element : elements()) {
            values.add(element.text());
        }
        return values;
    }

    /** The raw JSON of this value (for embedded documents such as policies). */
    String rawJson() {
        return node.toString();
    }

    boolean isText() {
        return node.isTextual();
    }

    boolean isIntegral() {
        return node.isIntegralNumber();
    }

    JsonValue child(String field) {
        return new JsonValue(node.get(field), childPath(field), file);
    }

    /** The path of a nested location below this value, e.g. a policy's own field path. */
    String subPath(String relative) {
        if (relative == null || relative.isEmpty() || "$".equals(relative)) {
            return path;
        }
        String base = path(path);
        return relative.startsWith("[") || base.isEmpty() ? base + relative : base + "." + relative;
    }

    private String childPath(String field) {
        String base = path(path);
        if (!shownName(field)) {
            // A field name is data too: a key pasted as a name must not be printed by the error naming its place.
            return base + "[<a name not shown: " + field.length() + " characters>]";
        }
        if (PLAIN_NAME.matcher(field).matches()) {
            return base.isEmpty() ? field : base + "." + field;
        }
        return base + "[\"" + field.replace("\\", "\\\\").replace("\"", "\\\"") + "\"]";
    }

    /** Whether a field name may appear in a path: short, plain and not shaped like a key. */
    private static boolean shownName(String field) {
        return field.length() <= MAX_SHOWN_NAME && !KeyReference.looksLikeKey(field)
                && field.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    private static String path(String p) {
        return "$".equals(p) ? "" : p;
    }
}
