package dev.assistant.security.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.security.Environment;
import dev.assistant.security.auth.ApiKeyHasher;
import dev.assistant.security.auth.ApiKeyRecord;
import dev.assistant.security.auth.ApiKeys;
import dev.assistant.security.key.KeyReference;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The JSON form of stored API key records: keyed hashes (hex), never keys.
 *
 * <pre>
 * {"keys":[
 *   {"keyId":"search-prod-1","principal":"search-service","hash":"&lt;64 hex digits&gt;","environment":"prod",
 *    "issuedAt":"2025-01-01T00:00:00Z","expiresAt":null,"retiredAt":null,
 *    "groups":["search"],"policies":["chat-only"]}]}
 * </pre>
 * {@code keyId}, {@code principal}, {@code hash}, {@code environment} and {@code issuedAt} are required; the rest
 * are optional ({@code null} or absent). Unknown fields, duplicate key ids and duplicate hashes are rejected with a
 * {@link SecurityConfigException} naming the JSON path (e.g. {@code keys[2].hash}). Thread-safe (stateless).
 */
public final class ApiKeyRecordsJson {
    static final Set<String> RECORD_FIELDS = Set.of("keyId", "principal", "hash", "environment", "issuedAt",
            "expiresAt", "retiredAt", "groups", "policies");
    private static final Set<String> DOCUMENT_FIELDS = Set.of("keys");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{" + 2 * ApiKeyHasher.HASH_BYTES + "}");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ApiKeyRecordsJson() {
    }

    /** Reads a key records file ({@code {"keys":[...]}}). */
    public static List<ApiKeyRecord> read(Path file) {
        return parseDocument(JsonValue.read(file));
    }

    /** Parses a key records document ({@code {"keys":[...]}}). */
    public static List<ApiKeyRecord> parse(String json) {
        return parseDocument(JsonValue.parse(json, null));
    }

    private static List<ApiKeyRecord> parseDocument(JsonValue root) {
        return parseArray(root.object(DOCUMENT_FIELDS).required("keys"));
    }

    /** Parses an array of records at its place in a larger document. */
    static List<ApiKeyRecord> parseArray(JsonValue array) {
        List<ApiKeyRecord> records = new ArrayList<>();
        Map<String, String> idPaths = new HashMap<>();
        Map<ByteBuffer, String> hashPaths = new HashMap<>();
        for (JsonValue element : array.elements()) {
            ApiKeyRecord record = parseRecord(element);
            String earlier = idPaths.putIfAbsent(record.keyId(), element.path());
            if (earlier != null) {
                throw element.child("keyId").fail("duplicate key id (also at " + earlier + ")");
            }
            String sameHash = hashPaths.putIfAbsent(ByteBuffer.wrap(record.hash()), element.path());
            if (sameHash != null) {
                throw element.child("hash").fail("the same hash as " + sameHash + " (one key, two records)");
            }
            records.add(record);
        }
        return List.copyOf(records);
    }

    private static ApiKeyRecord parseRecord(JsonValue value) {
        value.object(RECORD_FIELDS);
        JsonValue keyId = value.required("keyId");
        try {
            KeyReference.validateKeyId(keyId.text());
        } catch (IllegalArgumentException e) {
            throw keyId.fail("key id must be 1-64 characters of [A-Za-z0-9._-]");
        }
        JsonValue hash = value.required("hash");
        if (!hash.isText() || !HEX.matcher(hash.text()).matches()) {
            // Never echo the value: a key pasted here by mistake would end up in a log.
            throw hash.fail("must be the keyed hash: " + 2 * ApiKeyHasher.HASH_BYTES
                    + " hex digits (assistant keys hash), not the key");
        }
        ApiKeyRecord.Builder builder = ApiKeyRecord.builder()
                .keyId(keyId.text())
                .principal(value.required("principal").text())
                .hash(ApiKeys.fromHex(hash.text()))
                .environment(environment(value.required("environment")));
        Instant issuedAt = value.required("issuedAt").instant();
        builder.issuedAt(issuedAt);
        value.optional("expiresAt").ifPresent(v -> {
            Instant expiresAt = v.instant();
            if (expiresAt.isBefore(issuedAt)) {
                throw v.fail("must not be before issuedAt");
            }
            builder.expiresAt(expiresAt);
        });
        value.optional("retiredAt").ifPresent(v -> builder.retiredAt(v.instant()));
        value.optional("groups").ifPresent(v -> builder.groups(new LinkedHashSet<>(distinct(v))));
        value.optional("policies").ifPresent(v -> builder.policies(distinct(v)));
        return builder.build();
    }

    static Environment environment(JsonValue value) {
        try {
            return Environment.parse(value.text());
        } catch (IllegalArgumentException e) {
            throw value.fail("must be one of dev, test, prod");
        }
    }

    private static List<String> distinct(JsonValue array) {
        List<String> values = array.strings();
        Set<String> seen = new TreeSet<>();
        List<JsonValue> elements = array.elements();
        for (int i = 0; i < values.size(); i++) {
            if (!seen.add(values.get(i))) {
                throw elements.get(i).fail("listed twice");
            }
        }
        return values;
    }

    /** The JSON document for {@code records} (sorted by key id), readable by {@link #parse}. */
    public static String toJson(Collection<ApiKeyRecord> records) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode keys = root.putArray("keys");
        records.stream().sorted(Comparator.comparing(ApiKeyRecord::keyId)).forEach(r -> keys.add(toNode(r)));
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise key records", e);
        }
    }

    /** One record as a JSON object (the hash in hex). */
    public static ObjectNode toNode(ApiKeyRecord record) {
        ObjectNode node = JSON.createObjectNode();
        node.put("keyId", record.keyId());
        node.put("principal", record.principal());
        node.put("hash", ApiKeys.toHex(record.hash()));
        node.put("environment", record.environment().id());
        node.put("issuedAt", record.issuedAt().toString());
        record.expiresAt().ifPresent(e -> node.put("expiresAt", e.toString()));
        record.retiredAt().ifPresent(r -> node.put("retiredAt", r.toString()));
        ArrayNode groups = node.putArray("groups");
        new TreeSet<>(record.groups()).forEach(groups::add);
        ArrayNode policies = node.putArray("policies");
        record.policies().forEach(policies::add);
        return node;
    }
}
