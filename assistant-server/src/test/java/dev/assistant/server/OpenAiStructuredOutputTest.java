package dev.assistant.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Structured output, log-probabilities and several choices through the official OpenAI Java SDK, against the server
 * on loopback serving the stories260K model (which has never seen JSON) at temperature 1.
 */
class OpenAiStructuredOutputTest {
    static final String SCHEMA = """
            {"type": "object", "properties": {
               "name": {"type": "string", "minLength": 1, "maxLength": 12},
               "age": {"type": "integer", "minimum": 1, "maximum": 99},
               "pets": {"type": "array", "items": {"enum": ["cat", "dog", "fish"]}, "maxItems": 3}},
             "required": ["name", "age", "pets"], "additionalProperties": false}""";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SecuredServer fixture;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        fixture = new SecuredServer();
        client = OpenAIOkHttpClient.builder().baseUrl(fixture.baseUrl()).apiKey(SecuredServer.ALICE_KEY).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static ChatCompletionCreateParams.ResponseFormat schemaFormat() throws Exception {
        Map<String, Object> schema = JSON.readValue(SCHEMA, Map.class);
        ResponseFormatJsonSchema.JsonSchema.Schema.Builder b = ResponseFormatJsonSchema.JsonSchema.Schema.builder();
        schema.forEach((k, v) -> b.putAdditionalProperty(k, JsonValue.from(v)));
        return ChatCompletionCreateParams.ResponseFormat.ofJsonSchema(ResponseFormatJsonSchema.builder()
                .jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder().name("person").strict(true).schema(b.build())
                        .build()).build());
    }

    @SuppressWarnings("deprecation") // seed is deprecated in the SDK but still sent by many clients
    private static ChatCompletionCreateParams.Builder chat(long seed) {
        return ChatCompletionCreateParams.builder().model(SecuredServer.MODEL).addUserMessage("Once upon a time")
                .maxCompletionTokens(80).temperature(1.0).seed(seed);
    }

    static String problem(String text) throws Exception {
        JsonNode value;
        try {
            value = JSON.readTree(text);
        } catch (Exception e) {
            return "does not parse: " + text;
        }
        var errors = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(JSON.readTree(SCHEMA)).validate(value);
        return errors.isEmpty() ? null : errors + " in " + text;
    }

    @Test
    void jsonSchemaAnswersValidateWholeAndStreamed() throws Exception {
        for (long seed = 0; seed < 8; seed++) {
            ChatCompletion c = client.chat().completions().create(chat(seed).responseFormat(schemaFormat()).build());
            String text = c.choices().get(0).message().content().orElseThrow();
            assertThat(problem(text)).as("seed %d", seed).isNull();
            assertThat(c.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);

            StringBuilder streamed = new StringBuilder();
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions()
                    .createStreaming(chat(seed).responseFormat(schemaFormat()).build())) {
                s.stream().forEach(chunk -> chunk.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
            }
            assertThat(streamed.toString()).isEqualTo(text);
        }
    }

    @Test
    void jsonObjectModeAnswersAnObject() throws Exception {
        ChatCompletion c = client.chat().completions().create(chat(3).responseFormat(
                ChatCompletionCreateParams.ResponseFormat.ofJsonObject(ResponseFormatJsonObject.builder().build())).build());
        assertThat(JSON.readTree(c.choices().get(0).message().content().orElseThrow()).isObject()).isTrue();
    }

    @Test
    void logprobsCoverEveryTokenWithTheAskedAlternatives() {
        ChatCompletion c = client.chat().completions().create(chat(5).maxCompletionTokens(10).logprobs(true)
                .topLogprobs(3).build());
        List<ChatCompletionTokenLogprob> tokens = c.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
        assertThat(tokens).hasSize((int) c.usage().orElseThrow().completionTokens());
        StringBuilder text = new StringBuilder();
        for (ChatCompletionTokenLogprob t : tokens) {
            assertThat(t.logprob()).isLessThanOrEqualTo(0.0);
            assertThat(t.topLogprobs()).hasSize(3);
            assertThat(t.topLogprobs().get(0).logprob()).isGreaterThanOrEqualTo(t.topLogprobs().get(2).logprob())
                    .isGreaterThanOrEqualTo(t.logprob());
            text.append(t.token());
        }
        // The first token's leading space is stripped by the tokenizer's decoder (SentencePiece).
        assertThat(text.toString().strip()).isEqualTo(c.choices().get(0).message().content().orElseThrow().strip());
    }

    @Test
    void twoChoicesComeFromOnePromptAndDiffer() {
        ChatCompletion c = client.chat().completions().create(chat(11).maxCompletionTokens(24).n(2).build());
        assertThat(c.choices()).hasSize(2);
        assertThat(c.choices().get(0).index()).isEqualTo(0);
        assertThat(c.choices().get(1).index()).isEqualTo(1);
        String first = c.choices().get(0).message().content().orElseThrow();
        String second = c.choices().get(1).message().content().orElseThrow();
        assertThat(first).isNotEqualTo(second);
        // Choice 0 is what a single-choice request with the same seed answers.
        assertThat(client.chat().completions().create(chat(11).maxCompletionTokens(24).build())
                .choices().get(0).message().content().orElseThrow()).isEqualTo(first);

        Map<Long, StringBuilder> streamed = new HashMap<>();
        Map<Long, String> finish = new HashMap<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions()
                .createStreaming(chat(11).maxCompletionTokens(24).n(2).build())) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> {
                ch.delta().content().ifPresent(t -> streamed.computeIfAbsent(ch.index(), i -> new StringBuilder()).append(t));
                ch.finishReason().ifPresent(f -> finish.put(ch.index(), f.asString()));
            }));
        }
        assertThat(streamed.get(0L)).hasToString(first);
        assertThat(streamed.get(1L)).hasToString(second);
        assertThat(finish).containsOnlyKeys(0L, 1L);
    }

    @Test
    void legacyCompletionsTakeLogprobsAndResponseFormat() throws Exception {
        Completion c = client.completions().create(CompletionCreateParams.builder().model(SecuredServer.MODEL)
                .prompt("Once upon a time").maxTokens(8).temperature(0.0).logprobs(2).n(2).build());
        assertThat(c.choices()).hasSize(2);
        var logprobs = c.choices().get(0).logprobs().orElseThrow();
        assertThat(logprobs.tokens().orElseThrow()).hasSize(logprobs.tokenLogprobs().orElseThrow().size());
        assertThat(logprobs.topLogprobs().orElseThrow()).allSatisfy(top -> assertThat(top._additionalProperties()).hasSize(2));
        // greedy: both choices are the same
        assertThat(c.choices().get(1).text()).isEqualTo(c.choices().get(0).text());

        Completion json = client.completions().create(CompletionCreateParams.builder().model(SecuredServer.MODEL)
                .prompt("Once upon a time").maxTokens(60).temperature(1.0)
                .putAdditionalBodyProperty("response_format", JsonValue.from(Map.of("type", "json_object"))).build());
        assertThat(JSON.readTree(json.choices().get(0).text()).isObject()).isTrue();
    }

    @Test
    void penaltiesAndLogitBiasAreHonouredAndValidated() {
        // +100 on one token makes greedy decoding repeat it.
        ChatCompletion forced = client.chat().completions().create(chat(1).temperature(0.0).maxCompletionTokens(5)
                .logitBias(ChatCompletionCreateParams.LogitBias.builder().putAdditionalProperty("300", JsonValue.from(100))
                        .build()).logprobs(true).build());
        assertThat(forced.choices().get(0).logprobs().orElseThrow().content().orElseThrow())
                .extracting(ChatCompletionTokenLogprob::token).containsOnly(forcedToken(forced));
        BadRequestException outside = catchThrowableOfType(BadRequestException.class, () -> client.chat().completions()
                .create(chat(1).logitBias(ChatCompletionCreateParams.LogitBias.builder()
                        .putAdditionalProperty("100000", JsonValue.from(5)).build()).build()));
        assertThat(outside.getMessage()).contains("100000");
        ChatCompletion penalised = client.chat().completions().create(chat(1).temperature(0.0).maxCompletionTokens(24)
                .frequencyPenalty(2.0).presencePenalty(2.0).build());
        ChatCompletion plain = client.chat().completions().create(chat(1).temperature(0.0).maxCompletionTokens(24).build());
        assertThat(penalised.choices().get(0).message().content()).isNotEqualTo(plain.choices().get(0).message().content());
    }

    private static String forcedToken(ChatCompletion c) {
        return c.choices().get(0).logprobs().orElseThrow().content().orElseThrow().get(0).token();
    }
}
