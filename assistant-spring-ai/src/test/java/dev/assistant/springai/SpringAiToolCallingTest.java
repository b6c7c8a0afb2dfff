package dev.assistant.springai;

import dev.assistant.core.testing.SharedModels;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.Assistant;
import dev.assistant.core.tools.ToolChoice;
import dev.assistant.metrics.memory.InMemoryMetrics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;

/**
 * Spring AI's own tool machinery drives the in-process assistant (stories260K, a forced tool choice so the tiny
 * model calls the tool): a {@code @Tool} method is called through its tool callback, its result goes back to the
 * model, and the model answers; with internal execution off the caller gets the call itself.
 */
class SpringAiToolCallingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static InMemoryMetrics metrics;
    private static Assistant assistant;

    @BeforeAll
    static void load() {
        metrics = InMemoryMetrics.builder().build();
        assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu").metrics(metrics).build();
    }

    @AfterAll
    static void close() {
        if (assistant != null) {
            assistant.close();
        }
    }

    /** The tools; records what the model asked for. */
    static final class WeatherTools {
        final List<String> cities = new CopyOnWriteArrayList<>();

        @Tool(description = "Weather in a city")
        String weather(@ToolParam(description = "the city") String city) {
            cities.add(city);
            return "sunny in " + city;
        }
    }

    private static AssistantChatOptions.Builder forced(WeatherTools tools) {
        return new AssistantChatOptions.Builder().toolCallbacks(ToolCallbacks.from(tools))
                .toolChoice(ToolChoice.required()).maxTokens(80).temperature(0.0);
    }

    @Test
    void aToolCallbackIsCalledAndTheModelAnswersWithItsResult() {
        WeatherTools tools = new WeatherTools();
        AssistantChatModel model = AssistantChatModel.builder(assistant).build();
        long before = metrics.snapshot().total().succeeded();

        ChatResponse response = model.call(new Prompt("Weather in Rome?", forced(tools).build()));

        assertThat(tools.cities).hasSize(1);
        AssistantMessage answer = response.getResult().getOutput();
        assertThat(answer.hasToolCalls()).isFalse();
        assertThat(answer.getText()).isNotNull();
        assertThat(response.getResult().getMetadata().getFinishReason()).isNotEqualTo("TOOL_CALLS");
        // the call turn and the answer turn, each a full call through the assistant's steps
        assertThat(metrics.snapshot().total().succeeded() - before).isEqualTo(2);
    }

    @Test
    void aStreamedToolLoopRunsTheToolAndStreamsTheSameAnswerAsACall() {
        WeatherTools streamedTools = new WeatherTools();
        WeatherTools calledTools = new WeatherTools();
        AssistantChatModel model = AssistantChatModel.builder(assistant).build();
        List<ChatResponse> chunks = model.stream(new Prompt("Weather in Rome?", forced(streamedTools).build()))
                .collectList().block(java.time.Duration.ofSeconds(60));
        String called = model.call(new Prompt("Weather in Rome?", forced(calledTools).build()))
                .getResult().getOutput().getText();

        assertThat(streamedTools.cities).isEqualTo(calledTools.cities).hasSize(1);
        StringBuilder streamed = new StringBuilder();
        chunks.forEach(c -> streamed.append(c.getResult().getOutput().getText()));
        assertThat(streamed.toString()).isEqualTo(called); // greedy: the same answer, streamed in pieces
        ChatResponse last = chunks.get(chunks.size() - 1);
        assertThat(last.getResult().getMetadata().getFinishReason()).isNotEqualTo("TOOL_CALLS");
        assertThat(last.getMetadata().getUsage().getCompletionTokens()).isPositive();
    }

    @Test
    void withInternalExecutionOffTheCallerGetsAValidCallAndSendsTheResultBack() throws Exception {
        WeatherTools tools = new WeatherTools();
        AssistantChatModel model = AssistantChatModel.builder(assistant)
                .defaultOptions(forced(tools).internalToolExecutionEnabled(false).build()).build();
        UserMessage question = new UserMessage("Weather in Oslo?");
        ChatResponse call = model.call(new Prompt(List.of(question)));

        assertThat(tools.cities).isEmpty();
        AssistantMessage message = call.getResult().getOutput();
        assertThat(call.getResult().getMetadata().getFinishReason()).isEqualTo("TOOL_CALLS");
        assertThat(message.getToolCalls()).hasSize(1);
        AssistantMessage.ToolCall toolCall = message.getToolCalls().get(0);
        assertThat(toolCall.name()).isEqualTo("weather");
        JsonNode args = JSON.readTree(toolCall.arguments());
        assertThat(args.get("city").isTextual()).isTrue();
        assertThat(call.getMetadata().getUsage().getPromptTokens()).isPositive();

        List<Message> history = List.of(question, message, ToolResponseMessage.builder().responses(List.of(
                new ToolResponseMessage.ToolResponse(toolCall.id(), toolCall.name(), "sunny"))).build());
        ChatResponse answer = model.call(new Prompt(history));
        assertThat(answer.getResult().getOutput().hasToolCalls()).isFalse();
        assertThat(answer.getResult().getMetadata().getFinishReason()).isNotEqualTo("TOOL_CALLS");
    }
}
