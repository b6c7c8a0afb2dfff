package dev.assistant.core;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.structured.ResponseFormat;
import dev.assistant.core.structured.SchemaValidation;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Structured output on real models that have never seen JSON (TinyStories), sampled at temperature 1: every answer
 * of N seeds x 5 formats must parse and validate with a real JSON Schema validator. Requests run 8 at a time, so
 * the masks are applied per request inside batched decoding. N is 50 for stories260K and 10 for the (slower, run
 * through libtorch) GPT-2 model; {@code -Dstructured.seeds=50} runs 50 on both.
 */
class StructuredOutputModelTest {
    private static final int CONCURRENT = 8;

    static Map<String, JsonNode> schemas() {
        Map<String, JsonNode> s = new LinkedHashMap<>();
        s.put("person", SchemaValidation.schema("""
                {"type": "object", "properties": {
                   "name": {"type": "string", "minLength": 1, "maxLength": 20},
                   "age": {"type": "integer", "minimum": 0, "maximum": 150},
                   "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "minItems": 1, "maxItems": 3},
                   "member": {"type": "boolean"},
                   "score": {"type": "number", "minimum": -1.5, "maximum": 99.25}},
                 "required": ["name", "age", "tags"], "additionalProperties": false}"""));
        s.put("choices", SchemaValidation.schema("""
                {"type": "object", "properties": {
                   "kind": {"enum": ["cat", "dog", 1, 12, null]},
                   "version": {"const": "v1"},
                   "value": {"anyOf": [{"type": "string", "maxLength": 5},
                                       {"type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 20},
                                       {"type": "null"}]}},
                 "required": ["kind", "version", "value"], "additionalProperties": false}"""));
        s.put("tree", SchemaValidation.schema("""
                {"$defs": {"node": {"type": "object", "properties": {
                     "value": {"type": "integer"},
                     "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
                   "required": ["value"], "additionalProperties": false}},
                 "$ref": "#/$defs/node"}"""));
        s.put("list", SchemaValidation.schema("""
                {"type": "array", "items": {"type": "number", "minimum": 0.5, "maximum": 2}, "minItems": 2}"""));
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "tinystories-gpt2-mini"})
    void everyAnswerAtTemperatureOneParsesAndValidates(String model) throws Exception {
        int seeds = Integer.getInteger("structured.seeds", model.equals("stories260K") ? 50 : 10);
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model(model)).device("cpu").build()) {
            Map<String, ResponseFormat> formats = new LinkedHashMap<>();
            schemas().forEach((name, schema) -> formats.put(name, ResponseFormat.jsonSchema(name, schema, true)));
            formats.put("json_object", ResponseFormat.jsonObject());
            int valid = 0;
            int total = 0;
            List<String> failures = new ArrayList<>();
            for (Map.Entry<String, ResponseFormat> f : formats.entrySet()) {
                JsonNode schema = f.getValue().schema().orElse(SchemaValidation.schema("{\"type\": \"object\"}"));
                for (int from = 0; from < seeds; from += CONCURRENT) {
                    List<CompletableFuture<Completion>> running = new ArrayList<>();
                    for (int seed = from; seed < Math.min(seeds, from + CONCURRENT); seed++) {
                        running.add(assistant.generateAsync(GenerateRequest.builder().prompt("Once upon a time")
                                .maxNewTokens(90).responseFormat(f.getValue())
                                .sampling(SamplingParams.builder().temperature(1).seed(seed).build()).build()));
                    }
                    for (CompletableFuture<Completion> c : running) {
                        Completion done = c.get();
                        total++;
                        String problem = SchemaValidation.problem(schema, done.text());
                        if (problem == null && done.finishReason() == FinishReason.EOS) {
                            valid++;
                        } else {
                            failures.add(f.getKey() + " " + done.finishReason() + " " + problem + ": " + done.text());
                        }
                    }
                }
            }
            System.out.printf("structured output on %s at temperature 1: %d/%d valid (%.1f%%)%n", model, valid, total,
                    100.0 * valid / total);
            assertThat(failures).isEmpty();
            assertThat(total).isEqualTo(seeds * formats.size());
        }
    }
}
