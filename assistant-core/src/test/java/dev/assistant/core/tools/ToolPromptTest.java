package dev.assistant.core.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.core.tokenizer.ChatTemplate;
import dev.assistant.core.tokenizer.ModelTokenizer;
import dev.assistant.core.tokenizer.PlainChatFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolPromptTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Clock FIXED = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    static final ToolSpec WEATHER = ToolSpec.of("get_weather", "Current weather in a city",
            json("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}"));
    static final ToolSpec TIME = ToolSpec.of("get_time", "Local time in a city",
            json("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}"));

    /** The conversation render_qwen3_tools.py renders with Python's jinja2 as transformers does. */
    private static List<ChatMessage> roundTrip() {
        return List.of(ChatMessage.system("You are terse."), ChatMessage.user("Weather and time in Paris?"),
                ChatMessage.assistant("", List.of(new ToolCall("call_1", "get_weather", "{\"city\": \"Paris\"}"),
                        new ToolCall("call_2", "get_time", "{\"city\":\"Paris\"}"))),
                ChatMessage.tool("call_1", "{\"temp\": 21}"), ChatMessage.tool("call_2", "12:00"));
    }

    @Test
    void qwen3TemplateRendersToolsCallsAndResultsExactlyAsTransformers() throws IOException {
        try (ModelTokenizer tokenizer = ModelTokenizer.load(SharedModels.model("tokenizers/qwen3"), FIXED)) {
            ChatTemplate template = tokenizer.chatTemplate().orElseThrow();
            assertThat(template.supportsTools()).isTrue();
            assertThat(template.supportsToolCalls()).isTrue();
            String rendered = ToolPrompt.render(template, roundTrip(), List.of(WEATHER, TIME), true);
            assertThat(rendered).isEqualTo(golden("qwen3_tools.txt"));
        }
    }

    @Test
    void qwen3UsesTheHermesCallFormatAndAForcedCallStartsItsTagInThePrompt() {
        try (ModelTokenizer tokenizer = ModelTokenizer.load(SharedModels.model("tokenizers/qwen3"), FIXED)) {
            ChatRequest request = ChatRequest.builder().user("Weather in Oslo?").tools(List.of(WEATHER, TIME))
                    .toolChoice(ToolChoice.function("get_weather")).build();
            ToolTurn turn = ToolTurn.plan(request, tokenizer);
            assertThat(turn.format()).isEqualTo(ToolCallFormat.HERMES);
            assertThat(turn.prompt()).endsWith("<|im_start|>assistant\n<tool_call>\n");
            JsonNode schema = turn.forcedSchema().orElseThrow();
            assertThat(schema.at("/properties/name/const").asText()).isEqualTo("get_weather");
            assertThat(schema.at("/properties/arguments")).isEqualTo(WEATHER.parameters());
            assertThat(turn.options(request.options()).responseFormat().type())
                    .isEqualTo(dev.assistant.core.structured.ResponseFormat.Type.JSON_SCHEMA);
        }
    }

    @Test
    void aTemplateWithoutToolSupportGetsTheToolSectionAndTextHistory() {
        ChatTemplate chatml = ChatTemplate.builder("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
                + "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}").build();
        assertThat(chatml.supportsTools()).isFalse();
        String rendered = ToolPrompt.render(chatml, roundTrip(), List.of(WEATHER), true);
        assertThat(rendered).startsWith("<|im_start|>system\nYou are terse.\n\n# Tools\n")
                .contains("\n{\"name\":\"get_weather\",\"description\":\"Current weather in a city\",\"parameters\":{")
                .contains("<|im_start|>assistant\n<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}"
                        + "\n</tool_call>\n<tool_call>\n{\"name\":\"get_time\"")
                // consecutive results share one user turn
                .contains("<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response>\n<tool_response>\n12:00"
                        + "\n</tool_response><|im_end|>\n")
                .endsWith("<|im_start|>assistant\n");
    }

    @Test
    void thePlainFormatAddsASystemMessageWithTheTools() {
        String rendered = ToolPrompt.render(PlainChatFormat.instance(), List.of(ChatMessage.user("Hi")), List.of(TIME), true);
        assertThat(rendered).startsWith("System: # Tools\n").contains("<tool_call>").endsWith("User: Hi\nAssistant:");
        assertThat(ToolPrompt.render(PlainChatFormat.instance(), List.of(ChatMessage.user("Hi")), List.of(), true))
                .isEqualTo("User: Hi\nAssistant:");
    }

    @Test
    void formatsAreDetectedFromTheTemplateOrTheVocabulary() {
        assertThat(ToolCallFormat.detect("{{ '[TOOL_CALLS]' }}", t -> false)).isEqualTo(ToolCallFormat.MISTRAL);
        assertThat(ToolCallFormat.detect("x", "<|python_tag|>"::equals)).isEqualTo(ToolCallFormat.LLAMA3_JSON);
        assertThat(ToolCallFormat.detect("x", "<tool_call>"::equals)).isEqualTo(ToolCallFormat.HERMES);
        assertThat(ToolCallFormat.detect(null, t -> false)).isEqualTo(ToolCallFormat.HERMES);
        JsonNode mistral = ToolCallFormat.MISTRAL.forcedSchema(List.of(WEATHER, TIME), false);
        assertThat(mistral.get("type").asText()).isEqualTo("array");
        assertThat(mistral.get("maxItems").asInt()).isEqualTo(1);
        assertThat(mistral.at("/items/anyOf")).hasSize(2);
        assertThat(ToolCallFormat.LLAMA3_JSON.forcedSchema(List.of(TIME), true).at("/properties/parameters"))
                .isEqualTo(TIME.parameters());
    }

    @Test
    void badToolRequestsAreRejectedWithTypedErrors() {
        assertThatThrownBy(() -> ToolSpec.of("bad name", "", null)).isInstanceOf(AssistantException.class)
                .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThatThrownBy(() -> ToolSpec.of("f", "", json("[1]"))).isInstanceOf(AssistantException.class);
        assertThatThrownBy(() -> ChatRequest.builder().user("x").tools(List.of(TIME, TIME)).build())
                .hasMessageContaining("two tools");
        assertThatThrownBy(() -> ChatRequest.builder().user("x").tool(TIME).toolChoice(ToolChoice.function("nope")).build())
                .hasMessageContaining("nope");
        assertThatThrownBy(() -> ChatRequest.builder().user("x").toolChoice(ToolChoice.required()).build())
                .hasMessageContaining("at least one tool");
        assertThatThrownBy(() -> ChatMessage.tool(null, "x")).isInstanceOf(AssistantException.class);
        assertThatThrownBy(() -> new ChatMessage(ChatMessage.Role.USER, "x",
                List.of(new ToolCall("c", "f", "{}")), null)).hasMessageContaining("only assistant");
        assertThat(new ToolCall("c", "f", null).argumentsJson().isObject()).isTrue();
        assertThatThrownBy(() -> new ToolCall("c", "f", "{oops").argumentsJson())
                .isInstanceOf(AssistantException.class);
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = ToolPromptTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
