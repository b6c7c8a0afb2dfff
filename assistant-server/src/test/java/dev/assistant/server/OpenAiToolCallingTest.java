package dev.assistant.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tool calling through the official OpenAI Java SDK on loopback, on stories260K with a forced tool choice: the
 * call comes back as {@code message.tool_calls} with {@code finish_reason: tool_calls}, streams as OpenAI streams
 * it (the SDK's own accumulator rebuilds it), and the tool's result goes back as a {@code tool} message.
 */
class OpenAiToolCallingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SecuredServer fixture;

    @BeforeAll
    static void start() {
        fixture = new SecuredServer();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static OpenAIClient client() {
        return OpenAIOkHttpClient.builder().baseUrl(fixture.baseUrl()).apiKey(SecuredServer.ALICE_KEY).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    /** Small, as stories260K's context is 512 tokens. */
    private static FunctionDefinition weather() {
        return FunctionDefinition.builder().name("weather").parameters(FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of(
                        "city", Map.of("type", "string", "maxLength", 10),
                        "days", Map.of("type", "integer", "minimum", 1, "maximum", 7))))
                .putAdditionalProperty("required", JsonValue.from(List.of("city", "days")))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                .build()).build();
    }

    private static ChatCompletionCreateParams.Builder forcedWeather() {
        return ChatCompletionCreateParams.builder().model(SecuredServer.MODEL).addUserMessage("Weather in Rome?")
                .addFunctionTool(weather()).maxCompletionTokens(60).temperature(1.0)
                .toolChoice(ChatCompletionNamedToolChoice.builder()
                        .function(ChatCompletionNamedToolChoice.Function.builder().name("weather").build()).build());
    }

    private static void assertValidArguments(String arguments) throws Exception {
        JsonNode args = JSON.readTree(arguments);
        assertThat(args.size()).as(arguments).isEqualTo(2);
        assertThat(args.get("city").isTextual()).isTrue();
        assertThat(args.get("city").asText().length()).isLessThanOrEqualTo(10);
        assertThat(args.get("days").asInt()).isBetween(1, 7);
    }

    @Test
    void aForcedCallComesBackAsToolCallsAndItsResultLeadsToAnAnswer() throws Exception {
        OpenAIClient client = client();
        ChatCompletion c = client.chat().completions().create(forcedWeather().build());
        c.validate();
        ChatCompletion.Choice choice = c.choices().get(0);
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(choice.message().content()).isEmpty();
        List<ChatCompletionMessageFunctionToolCall> calls = choice.message().toolCalls().orElseThrow().stream()
                .map(t -> t.function().orElseThrow()).toList();
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).function().name()).isEqualTo("weather");
        assertValidArguments(calls.get(0).function().arguments());

        ChatCompletion answer = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model(SecuredServer.MODEL).addUserMessage("Weather in Rome?").addFunctionTool(weather())
                .addMessage(choice.message())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(calls.get(0).id())
                        .content("{\"sky\": \"clear\"}").build())
                .toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).maxCompletionTokens(8).temperature(0.0).build());
        answer.validate();
        assertThat(answer.choices().get(0).message().toolCalls().orElse(List.of())).isEmpty();
        assertThat(answer.choices().get(0).message().content()).isPresent();
        assertThat(answer.choices().get(0).finishReason()).isNotEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    }

    @Test
    void aStreamedCallStartsWithIdAndNameThenArgumentFragmentsAndEndsWithToolCalls() throws Exception {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<ChatCompletionChunk.Choice.Delta.ToolCall> pieces = new ArrayList<>();
        List<String> finishReasons = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client().chat().completions()
                .createStreaming(forcedWeather().toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build())) {
            stream.stream().forEach(chunk -> {
                accumulator.accumulate(chunk);
                chunk.choices().forEach(choice -> {
                    choice.delta().toolCalls().ifPresent(pieces::addAll);
                    choice.finishReason().ifPresent(r -> finishReasons.add(r.asString()));
                });
            });
        }
        assertThat(finishReasons).containsExactly("tool_calls");
        ChatCompletionChunk.Choice.Delta.ToolCall first = pieces.get(0);
        assertThat(first.index()).isZero();
        assertThat(first.id()).isPresent();
        assertThat(first.type()).isPresent();
        assertThat(first.function().orElseThrow().name()).contains("weather");
        assertThat(first.function().orElseThrow().arguments()).contains("");
        assertThat(pieces.subList(1, pieces.size())).isNotEmpty()
                .allSatisfy(p -> assertThat(p.id()).isEmpty());

        ChatCompletion whole = accumulator.chatCompletion();
        ChatCompletionMessageFunctionToolCall call = whole.choices().get(0).message().toolCalls().orElseThrow().get(0)
                .function().orElseThrow();
        assertThat(call.id()).isEqualTo(first.id().orElseThrow());
        assertValidArguments(call.function().arguments());
    }

    @Test
    void malformedToolRequestsAre400NamingTheParameter() {
        BadRequestException unknown = catchThrowableOfType(BadRequestException.class, () -> client().chat().completions()
                .create(forcedWeather().toolChoice(ChatCompletionNamedToolChoice.builder()
                        .function(ChatCompletionNamedToolChoice.Function.builder().name("nope").build()).build()).build()));
        assertThat(unknown.getMessage()).contains("nope");
        BadRequestException badName = catchThrowableOfType(BadRequestException.class, () -> client().chat().completions()
                .create(ChatCompletionCreateParams.builder().model(SecuredServer.MODEL).addUserMessage("x")
                        .addFunctionTool(FunctionDefinition.builder().name("has space").build()).build()));
        assertThat(badName.body().toString()).contains("tools[0].function");
    }
}
