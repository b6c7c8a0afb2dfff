package dev.assistant.core.structured;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The grammar against the most hostile "model" there is: a uniform random choice among the allowed tokens of a
 * vocabulary with every byte, multi-byte pieces, partial UTF-8 characters and escapes. Every finished output must
 * parse and validate, and the budget must always be enough to close the document.
 */
class GrammarRandomWalkTest {
    static final String PERSON = """
            {"type": "object", "properties": {
               "name": {"type": "string", "minLength": 1, "maxLength": 20},
               "age": {"type": "integer", "minimum": 0, "maximum": 150},
               "email": {"type": "string", "description": "ignored annotation"},
               "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "minItems": 1, "maxItems": 3},
               "member": {"type": "boolean"},
               "score": {"type": "number", "minimum": -1.5, "maximum": 99.25}},
             "required": ["name", "age", "tags"], "additionalProperties": false}""";
    static final String CHOICES = """
            {"type": "object", "properties": {
               "kind": {"enum": ["cat", "dog", 1, 12, null]},
               "version": {"const": "v1"},
               "value": {"anyOf": [{"type": "string", "maxLength": 5},
                                   {"type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 20},
                                   {"type": "null"}]},
               "nick": {"type": ["string", "null"]}},
             "required": ["kind", "version", "value"]}""";
    static final String TREE = """
            {"$defs": {"node": {"type": "object", "properties": {
                 "value": {"type": "integer"},
                 "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
               "required": ["value"], "additionalProperties": false}},
             "$ref": "#/$defs/node"}""";
    static final String NUMBERS = """
            {"type": "array", "items": {"type": "number", "minimum": 0.5, "maximum": 2}, "minItems": 2}""";

    private static final int EOS = -1;
    private static final byte[][] VOCAB = vocabulary();

    private static byte[][] vocabulary() {
        List<byte[]> v = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            v.add(new byte[]{(byte) b});
        }
        for (String s : List.of("{\"", "\":", "\": ", "\", \"", "\"}", "true", "false", "null", "  ", "\n  ", "12",
                "0.", "-1", "name", "age", "tags", "é", "ü ✓", "😀", "\\u00e9", "\\n", "\\\"", "\"]", "[\"", "}\n",
                "cat", "dog", "\"v1\"", " \"value\"", "\"kind\": ", "value", "children", "[{", "}]", "{}", ", ")) {
            v.add(s.getBytes(StandardCharsets.UTF_8));
        }
        v.add(new byte[]{(byte) 0xE2, (byte) 0x9C}); // the first two bytes of a three-byte character
        v.add(new byte[]{(byte) 0x93, 'x'});
        v.add(null); // an added (special) token: never allowed
        return v.toArray(byte[][]::new);
    }

    /** A random walk; returns the output, or null when it ended by the budget before the document was complete. */
    static String walk(TokenVocabulary vocabulary, Grammar grammar, long seed, int maxTokens) {
        SplittableRandom random = new SplittableRandom(seed);
        JsonConstraint c = new JsonConstraint(vocabulary, grammar);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] allowed = new long[(vocabulary.size() + 63) / 64];
        for (int produced = 0; produced < maxTokens; produced++) {
            java.util.Arrays.fill(allowed, 0);
            c.allowedTokens(allowed, maxTokens - produced);
            List<Integer> choices = new ArrayList<>();
            for (int id = 0; id < vocabulary.size(); id++) {
                if ((allowed[id >>> 6] & (1L << id)) != 0) {
                    choices.add(id);
                }
            }
            if (c.accepting()) {
                choices.add(EOS);
            }
            assertThat(choices).as("allowed tokens after %s", out).isNotEmpty();
            int token = choices.get(random.nextInt(choices.size()));
            if (token == EOS) {
                return out.toString(StandardCharsets.UTF_8);
            }
            c.accept(token);
            out.writeBytes(vocabulary.bytes[token]);
            if (c.complete()) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }
        return c.accepting() ? out.toString(StandardCharsets.UTF_8) : null;
    }

    private static void assertAllValid(Grammar grammar, JsonNode schema, int maxTokens) {
        TokenVocabulary vocabulary = new TokenVocabulary(VOCAB);
        for (long seed = 0; seed < 200; seed++) {
            String text = walk(vocabulary, grammar, seed, maxTokens);
            assertThat(text).as("seed %d ran out of budget", seed).isNotNull();
            assertThat(SchemaValidation.problem(schema, text)).as("seed %d: %s", seed, text).isNull();
        }
    }

    private static void assertAllValid(String schema, int maxTokens) {
        JsonNode s = SchemaValidation.schema(schema);
        assertAllValid(ResponseFormat.jsonSchema("test", s, true).grammar(), s, maxTokens);
    }

    @Test
    void objectsWithBoundedStringsNumbersAndArraysValidate() {
        assertAllValid(PERSON, 120);
    }

    @Test
    void enumsConstsAnyOfAndNullableTypesValidate() {
        assertAllValid(CHOICES, 80);
    }

    @Test
    void recursiveDefinitionsValidate() {
        assertAllValid(TREE, 150);
    }

    @Test
    void boundedDecimalsValidate() {
        assertAllValid(NUMBERS, 60);
    }

    @Test
    void topLevelScalarsValidate() {
        for (String schema : List.of("{\"type\": \"integer\", \"minimum\": -5, \"maximum\": 1000}",
                "{\"type\": \"number\", \"exclusiveMinimum\": 0.25}", "{\"enum\": [1, 12, 123, \"x\"]}",
                "{\"type\": [\"boolean\", \"null\"]}", "{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3}")) {
            assertAllValid(schema, 30);
        }
    }

    @Test
    void jsonObjectModeGivesAnObject() {
        assertAllValid(Grammar.anyObject(), SchemaValidation.schema("{\"type\": \"object\"}"), 100);
    }

    @Test
    void theBudgetClosesTheDocumentEvenWhenItIsExactlyTheShortestOne() {
        JsonNode s = SchemaValidation.schema(PERSON);
        Grammar grammar = ResponseFormat.jsonSchema("person", s, true).grammar();
        // {"name":"x","age":0,"tags":[]} is impossible (minItems 1): the shortest has 35 bytes
        int shortest = (int) grammar.start().minBytesToEnd();
        assertThat(shortest).isEqualTo("{\"name\":\"x\",\"age\":0,\"tags\":[\"\"]}".length());
        assertAllValid(grammar, s, shortest);
    }

    @Test
    void aBudgetBelowTheShortestDocumentEndsWithAPrefix() {
        Grammar grammar = ResponseFormat.jsonSchema("person", SchemaValidation.schema(PERSON), true).grammar();
        String text = walk(new TokenVocabulary(VOCAB), grammar, 1, 5);
        assertThat(text).isNull();
    }

    @Test
    void whitespaceIsBounded() {
        ParserState s = Grammar.anyObject().start();
        for (int i = 0; i < Grammar.MAX_WHITESPACE; i++) {
            s = s.advance(' ');
        }
        assertThat(s).isNotNull();
        assertThat(s.advance(' ')).isNull();
        assertThat(s.advance('{')).isNotNull();
    }

    @Test
    void stringsRejectControlCharactersLoneSurrogatesAndBrokenUtf8() {
        ParserState inString = Grammar.anyObject().start().advance("{\"".getBytes(StandardCharsets.UTF_8));
        assertThat(inString.advance('\n')).isNull();
        assertThat(inString.advance("\\ud800".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(inString.advance("\\u00e9".getBytes(StandardCharsets.UTF_8))).isNotNull();
        assertThat(inString.advance(new byte[]{(byte) 0xC0, (byte) 0x80})).isNull(); // overlong NUL
        assertThat(inString.advance(new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80})).isNull(); // UTF-8 surrogate
        assertThat(inString.advance("é😀".getBytes(StandardCharsets.UTF_8))).isNotNull();
    }

    @Test
    void strictSchemasRejectUnsupportedKeywordsAndLenientOnesIgnoreThem() {
        JsonNode pattern = SchemaValidation.schema("{\"type\": \"string\", \"pattern\": \"^a\"}");
        assertThatThrownBy(() -> ResponseFormat.jsonSchema("p", pattern, true))
                .isInstanceOf(AssistantException.class).hasMessageContaining("pattern")
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(ResponseFormat.jsonSchema("p", pattern, false).constrains()).isTrue();
    }

    @Test
    void unsatisfiableSchemasAreRejected() {
        for (String bad : List.of(
                "{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 4}",
                "{\"type\": \"string\", \"minLength\": 3, \"maxLength\": 2}",
                "{\"$defs\": {\"a\": {\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#/$defs/a\"}}, "
                        + "\"required\": [\"a\"]}}, \"$ref\": \"#/$defs/a\"}",
                "{\"$ref\": \"#/$defs/missing\"}",
                "{\"type\": \"integer\", \"enum\": [\"a\"]}",
                "{\"type\": \"banana\"}")) {
            assertThatThrownBy(() -> ResponseFormat.jsonSchema("bad", SchemaValidation.schema(bad), true))
                    .as(bad).isInstanceOf(AssistantException.class);
        }
    }
}
