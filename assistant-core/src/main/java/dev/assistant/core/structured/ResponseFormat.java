package dev.assistant.core.structured;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Objects;
import java.util.Optional;

/**
 * The shape the generated text must take. Immutable and validated when built: a JSON schema is compiled here, so
 * an unsupported or contradictory schema fails at once with {@code INVALID_REQUEST} instead of at generation time.
 *
 * <p>With {@link #jsonObject()} or {@link #jsonSchema} the answer is generated under a grammar that masks every token
 * that could not continue a valid document, so a finished answer always parses (and validates against the schema),
 * whatever the model and the sampling settings. Details and limits:
 * <ul>
 *   <li>Generation ends as soon as the document is complete (finish reason {@code EOS}); stop strings are not
 *       applied, since cutting the document could break it.</li>
 *   <li>The grammar reserves the budget to close the document: once the tokens left ({@code maxNewTokens}, or the
 *       context) are just enough to finish, only tokens that keep a completion within them are allowed. Only when
 *       even the shortest valid document does not fit does generation end with finish reason {@code LENGTH} and
 *       the text is then a prefix of a valid document.</li>
 *   <li>Whitespace between tokens of the document is bounded (a few characters in a row), so a model cannot loop
 *       on spaces; numbers are written without exponent.</li>
 *   <li>Objects with declared {@code properties} are generated with those properties only, in declaration order
 *       (optional ones may be skipped), which validates whatever {@code additionalProperties} says.</li>
 * </ul>
 */
public final class ResponseFormat {
    /** What kind of output is required. */
    public enum Type {
        /** Free text (no constraint). */
        TEXT,
        /** Any JSON object. */
        JSON_OBJECT,
        /** A JSON value that validates against a JSON schema. */
        JSON_SCHEMA
    }

    private static final ResponseFormat TEXT = new ResponseFormat(Type.TEXT, null, null, false, null);
    private static final ResponseFormat JSON_OBJECT = new ResponseFormat(Type.JSON_OBJECT, null, null, false,
            Grammar.anyObject());

    private final Type type;
    private final String name;
    private final JsonNode schema;
    private final boolean strict;
    private final Grammar grammar;

    private ResponseFormat(Type type, String name, JsonNode schema, boolean strict, Grammar grammar) {
        this.type = type;
        this.name = name;
        this.schema = schema;
        this.strict = strict;
        this.grammar = grammar;
    }

    /** No constraint: the model writes free text (the default). */
    public static ResponseFormat text() {
        return TEXT;
    }

    /** Any JSON object (OpenAI's {@code json_object}). */
    public static ResponseFormat jsonObject() {
        return JSON_OBJECT;
    }

    /**
     * A JSON value valid against {@code schema} (OpenAI's {@code json_schema}).
     *
     * <p>Supported keywords: {@code type} (one or a list), {@code properties}, {@code required},
     * {@code additionalProperties}, {@code items}, {@code minItems}/{@code maxItems}, {@code minLength}/
     * {@code maxLength}, {@code minimum}/{@code maximum}, {@code exclusiveMinimum}/{@code exclusiveMaximum},
     * {@code enum}, {@code const}, {@code anyOf}, {@code $defs}/{@code definitions} with local {@code $ref}s
     * (recursion included). Annotations ({@code title}, {@code description}, {@code default}, ...) are ignored.
     * Other validation keywords ({@code pattern}, {@code format}, {@code oneOf}, ...) are rejected when
     * {@code strict}, and ignored otherwise (the output then validates against the supported part only).
     *
     * @param name   the schema's name (letters, digits, {@code _} and {@code -}, at most 64), as in OpenAI's API
     * @param schema the JSON schema; copied
     * @param strict whether unsupported keywords are an error rather than ignored
     * @throws AssistantException {@code INVALID_REQUEST} naming what is wrong with the schema
     */
    public static ResponseFormat jsonSchema(String name, JsonNode schema, boolean strict) {
        if (name == null || !name.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST,
                    "the schema name must be 1 to 64 letters, digits, '_' or '-'");
        }
        if (schema == null || !(schema.isObject() || schema.isBoolean())) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "the JSON schema must be an object");
        }
        JsonNode copy = schema.deepCopy();
        return new ResponseFormat(Type.JSON_SCHEMA, name, copy, strict, SchemaCompiler.compile(copy, strict));
    }

    public Type type() {
        return type;
    }

    /** The schema's name, for {@link Type#JSON_SCHEMA}. */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    /** A copy of the schema, for {@link Type#JSON_SCHEMA}. */
    public Optional<JsonNode> schema() {
        return Optional.ofNullable(schema).map(JsonNode::deepCopy);
    }

    public boolean strict() {
        return strict;
    }

    /** Whether generation runs under a grammar. */
    public boolean constrains() {
        return grammar != null;
    }

    /** The compiled grammar, or null for {@link Type#TEXT}. */
    Grammar grammar() {
        return grammar;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResponseFormat r && type == r.type && Objects.equals(name, r.name)
                && Objects.equals(schema, r.schema) && strict == r.strict;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, name, schema, strict);
    }

    @Override
    public String toString() {
        return switch (type) {
            case TEXT -> "ResponseFormat[text]";
            case JSON_OBJECT -> "ResponseFormat[json_object]";
            case JSON_SCHEMA -> "ResponseFormat[json_schema " + name + (strict ? ", strict" : "") + "]";
        };
    }
}
