package dev.assistant.core.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Compiles a JSON schema (the subset {@link ResponseFormat#jsonSchema} documents) into a {@link Grammar}. */
final class SchemaCompiler {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Keywords that do not constrain values. */
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
            "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$anchor", "$defs", "definitions", "strict");
    private static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "additionalProperties",
            "items", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "enum", "const", "anyOf", "$ref");
    private static final int MAX_NODES = 20_000;

    private final JsonNode document;
    private final boolean strict;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, RefNode> refs = new HashMap<>();
    private Node anyValue;

    private SchemaCompiler(JsonNode document, boolean strict) {
        this.document = document;
        this.strict = strict;
    }

    static Grammar compile(JsonNode schema, boolean strict) {
        SchemaCompiler c = new SchemaCompiler(schema, strict);
        Node root = c.node(schema, "#");
        return finish(root, c.nodes);
    }

    /** Computes minimal lengths (a fixpoint, for recursion) and checks the schema has a finite value. */
    static Grammar finish(Node root, List<Node> nodes) {
        boolean changed = true;
        for (int round = 0; changed && round <= nodes.size() + 1; round++) {
            changed = false;
            for (Node n : nodes) {
                changed |= n.updateMinBytes();
            }
        }
        if (root.minBytes() >= Node.INFINITE) {
            throw invalid("the schema has no finite value (a required property recurses without end, or the "
                    + "constraints contradict each other)");
        }
        long largest = 0;
        for (Node n : nodes) {
            n.seal();
            if (n.minBytes() < Node.INFINITE) {
                largest = Math.max(largest, n.minBytes());
            }
        }
        return new Grammar(root, largest);
    }

    static LiteralNode literals(String... texts) {
        List<byte[]> options = new ArrayList<>();
        for (String t : texts) {
            options.add(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return new LiteralNode(options);
    }

    private <N extends Node> N add(N node) {
        if (nodes.size() >= MAX_NODES) {
            throw invalid("the schema is too large (more than " + MAX_NODES + " parts)");
        }
        nodes.add(node);
        return node;
    }

    private Node anyValue() {
        if (anyValue == null) {
            List<Node> created = new ArrayList<>();
            anyValue = Grammar.anyValue(created);
            created.forEach(this::add);
        }
        return anyValue;
    }

    private Node node(JsonNode s, String path) {
        if (s.isBoolean()) {
            if (!s.booleanValue()) {
                throw invalid("the schema at " + path + " is false: no value is valid there");
            }
            return anyValue();
        }
        if (!s.isObject()) {
            throw invalid("the schema at " + path + " must be an object or a boolean");
        }
        List<String> validation = new ArrayList<>();
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (ANNOTATIONS.contains(k)) {
                continue;
            }
            if (!SUPPORTED.contains(k)) {
                if (strict) {
                    throw invalid("the keyword '" + k + "' at " + path + " is not supported by structured output "
                            + "(use strict=false to ignore it)");
                }
                continue;
            }
            validation.add(k);
        }
        if (s.has("$ref")) {
            onlyWith(validation, path, "$ref");
            return ref(s.get("$ref"), path);
        }
        if (s.has("anyOf")) {
            onlyWith(validation, path, "anyOf");
            JsonNode alternatives = s.get("anyOf");
            if (!alternatives.isArray() || alternatives.isEmpty()) {
                throw invalid("'anyOf' at " + path + " must be a non-empty array");
            }
            List<Node> nodes = new ArrayList<>();
            for (int i = 0; i < alternatives.size(); i++) {
                nodes.add(node(alternatives.get(i), path + "/anyOf/" + i));
            }
            return add(new AnyOfNode(nodes));
        }
        List<String> types = types(s, path);
        if (s.has("const") || s.has("enum")) {
            return literal(s, types, path);
        }
        if (types.isEmpty()) {
            return anyValue();
        }
        if (types.size() == 1) {
            return typed(s, types.get(0), path);
        }
        List<Node> alternatives = new ArrayList<>();
        for (String t : types) {
            alternatives.add(typed(s, t, path));
        }
        return add(new AnyOfNode(alternatives));
    }

    private void onlyWith(List<String> validation, String path, String keyword) {
        if (strict && validation.size() > 1) {
            throw invalid("'" + keyword + "' at " + path + " cannot be combined with " + validation
                    + " in structured output (use strict=false to ignore the others)");
        }
    }

    private Node ref(JsonNode ref, String path) {
        if (!ref.isTextual() || !ref.asText().startsWith("#")) {
            throw invalid("'$ref' at " + path + " must be a local reference such as #/$defs/Name");
        }
        String pointer = ref.asText();
        RefNode existing = refs.get(pointer);
        if (existing != null) {
            return existing;
        }
        JsonNode target;
        try {
            target = pointer.equals("#") ? document : document.at(pointer.substring(1));
        } catch (IllegalArgumentException e) {
            throw invalid("'$ref' at " + path + " is not a valid JSON pointer: " + pointer);
        }
        if (target.isMissingNode()) {
            throw invalid("'$ref' at " + path + " points to nothing: " + pointer);
        }
        RefNode node = add(new RefNode());
        refs.put(pointer, node);
        node.resolve(node(target, pointer));
        return node;
    }

    private List<String> types(JsonNode s, String path) {
        JsonNode type = s.get("type");
        List<String> out = new ArrayList<>();
        if (type == null) {
            if (s.has("properties") || s.has("required") || s.has("additionalProperties")) {
                out.add("object");
            } else if (s.has("items") || s.has("minItems") || s.has("maxItems")) {
                out.add("array");
            } else if (s.has("minLength") || s.has("maxLength")) {
                out.add("string");
            } else if (s.has("minimum") || s.has("maximum") || s.has("exclusiveMinimum") || s.has("exclusiveMaximum")) {
                out.add("number");
            }
            return out;
        }
        if (type.isTextual()) {
            out.add(type.asText());
        } else if (type.isArray() && !type.isEmpty()) {
            type.forEach(t -> out.add(t.asText()));
        } else {
            throw invalid("'type' at " + path + " must be a type name or a non-empty list of them");
        }
        for (String t : out) {
            if (!Set.of("object", "array", "string", "number", "integer", "boolean", "null").contains(t)) {
                throw invalid("unknown type '" + t + "' at " + path);
            }
        }
        return out;
    }

    private Node typed(JsonNode s, String type, String path) {
        return switch (type) {
            case "object" -> object(s, path);
            case "array" -> array(s, path);
            case "string" -> {
                int min = count(s, "minLength", 0, path);
                int max = count(s, "maxLength", Integer.MAX_VALUE, path);
                if (min > max) {
                    throw invalid("minLength is above maxLength at " + path);
                }
                yield add(new StringNode(min, max));
            }
            case "number", "integer" -> number(s, type.equals("integer"), path);
            case "boolean" -> add(literals("true", "false"));
            default -> add(literals("null"));
        };
    }

    private Node object(JsonNode s, String path) {
        JsonNode properties = s.path("properties");
        if (!properties.isMissingNode() && !properties.isObject()) {
            throw invalid("'properties' at " + path + " must be an object");
        }
        List<String> names = new ArrayList<>();
        properties.fieldNames().forEachRemaining(names::add);
        JsonNode required = s.path("required");
        List<String> requiredNames = new ArrayList<>();
        if (!required.isMissingNode()) {
            if (!required.isArray()) {
                throw invalid("'required' at " + path + " must be an array of property names");
            }
            required.forEach(r -> requiredNames.add(r.asText()));
        }
        for (String r : requiredNames) {
            if (!names.contains(r)) {
                names.add(r); // required but undeclared: any value
            }
        }
        JsonNode additional = s.get("additionalProperties");
        if (names.isEmpty()) {
            Node value = additional == null || additional.isBoolean() && additional.booleanValue() ? anyValue()
                    : additional.isBoolean() ? null : node(additional, path + "/additionalProperties");
            return add(new ObjectNode(new byte[0][], new Node[0], new boolean[0], value));
        }
        byte[][] keys = new byte[names.size()][];
        Node[] values = new Node[names.size()];
        boolean[] req = new boolean[names.size()];
        for (int i = 0; i < keys.length; i++) {
            String name = names.get(i);
            keys[i] = json(new TextNode(name));
            JsonNode p = properties.get(name);
            values[i] = p == null ? anyValue() : node(p, path + "/properties/" + name);
            req[i] = requiredNames.contains(name);
        }
        return add(new ObjectNode(keys, values, req, null));
    }

    private Node array(JsonNode s, String path) {
        JsonNode items = s.get("items");
        Node item;
        if (items == null) {
            item = anyValue();
        } else if (items.isArray()) {
            if (strict) {
                throw invalid("tuple 'items' (an array) at " + path + " is not supported by structured output");
            }
            item = anyValue();
        } else {
            item = node(items, path + "/items");
        }
        int min = count(s, "minItems", 0, path);
        int max = count(s, "maxItems", Integer.MAX_VALUE, path);
        if (min > max) {
            throw invalid("minItems is above maxItems at " + path);
        }
        return add(new ArrayNode(item, min, max));
    }

    private Node number(JsonNode s, boolean integer, String path) {
        BigDecimal min = decimal(s, "minimum", path);
        BigDecimal max = decimal(s, "maximum", path);
        boolean minExclusive = false;
        boolean maxExclusive = false;
        JsonNode exMin = s.get("exclusiveMinimum");
        if (exMin != null) {
            if (exMin.isBoolean()) { // draft 4
                minExclusive = exMin.booleanValue();
            } else {
                BigDecimal v = decimal(s, "exclusiveMinimum", path);
                if (min == null || v.compareTo(min) >= 0) {
                    min = v;
                    minExclusive = true;
                }
            }
        }
        JsonNode exMax = s.get("exclusiveMaximum");
        if (exMax != null) {
            if (exMax.isBoolean()) {
                maxExclusive = exMax.booleanValue();
            } else {
                BigDecimal v = decimal(s, "exclusiveMaximum", path);
                if (max == null || v.compareTo(max) <= 0) {
                    max = v;
                    maxExclusive = true;
                }
            }
        }
        BigDecimal limit = BigDecimal.ONE.movePointRight(NumberNode.MAX_INT_DIGITS);
        if ((min != null && min.abs().compareTo(limit) >= 0) || (max != null && max.abs().compareTo(limit) >= 0)) {
            throw invalid("number bounds at " + path + " must be below 1e" + NumberNode.MAX_INT_DIGITS
                    + " in magnitude for structured output");
        }
        NumberNode n = new NumberNode(integer, min, minExclusive, max, maxExclusive);
        if (n.computeMinBytes() >= Node.INFINITE) {
            throw invalid("no " + (integer ? "integer" : "number") + " satisfies the bounds at " + path);
        }
        return add(n);
    }

    private Node literal(JsonNode s, List<String> types, String path) {
        List<JsonNode> values = new ArrayList<>();
        if (s.has("const")) {
            values.add(s.get("const"));
        } else {
            JsonNode e = s.get("enum");
            if (!e.isArray() || e.isEmpty()) {
                throw invalid("'enum' at " + path + " must be a non-empty array");
            }
            e.forEach(values::add);
        }
        List<byte[]> options = new ArrayList<>();
        for (JsonNode v : values) {
            if (types.isEmpty() || types.stream().anyMatch(t -> hasType(v, t))) {
                options.add(json(v));
            }
        }
        if (options.isEmpty()) {
            throw invalid("no value of 'enum'/'const' at " + path + " has the schema's type " + types);
        }
        return add(new LiteralNode(options));
    }

    private static boolean hasType(JsonNode v, String type) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "number" -> v.isNumber();
            case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0);
            case "boolean" -> v.isBoolean();
            default -> v.isNull();
        };
    }

    private static int count(JsonNode s, String keyword, int absent, String path) {
        JsonNode v = s.get(keyword);
        if (v == null) {
            return absent;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 0) {
            throw invalid("'" + keyword + "' at " + path + " must be a non-negative integer");
        }
        return v.intValue();
    }

    private static BigDecimal decimal(JsonNode s, String keyword, String path) {
        JsonNode v = s.get(keyword);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw invalid("'" + keyword + "' at " + path + " must be a number");
        }
        return v.decimalValue();
    }

    private static byte[] json(JsonNode v) {
        try {
            return JSON.writeValueAsBytes(v);
        } catch (JsonProcessingException e) {
            throw invalid("cannot serialize " + v.getNodeType());
        }
    }

    private static AssistantException invalid(String message) {
        return new AssistantException(ErrorCode.INVALID_REQUEST, "invalid JSON schema: " + message);
    }
}
