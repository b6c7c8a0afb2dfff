package dev.assistant.langchain4j;

import dev.assistant.core.testing.SharedModels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import dev.assistant.core.tools.ToolSpec;
import dev.assistant.metrics.memory.InMemoryMetrics;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LangChain4j itself drives the in-process assistant (stories260K, a forced tool choice so the tiny model calls the
 * tool): an {@code AiServices} agent with a {@code @Tool} method completes the round trip model -> tool -> answer,
 * and the streaming model streams the call.
 */
class LangChain4jToolCallingTest {
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

    /** The tools the agent may call; records what the model asked for. */
    static final class WeatherTools {
        final List<String> cities = new CopyOnWriteArrayList<>();

        @Tool("Weather in a city")
        String weather(@P(name = "city", value = "the city") String city) {
            cities.add(city);
            return "sunny in " + city;
        }
    }

    interface Agent {
        Result<String> chat(String message);
    }

    private static ChatRequestParameters forced() {
        return ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).maxOutputTokens(80).temperature(0.0)
                .build();
    }

    @Test
    void anAiServicesAgentCallsTheToolAndAnswersWithItsResult() {
        WeatherTools tools = new WeatherTools();
        AssistantChatModel model = AssistantChatModel.builder(assistant).defaultRequestParameters(forced()).build();
        Agent agent = AiServices.builder(Agent.class).chatModel(model).tools(tools).build();
        long before = metrics.snapshot().total().succeeded();

        Result<String> result = agent.chat("Weather in Rome?");

        assertThat(tools.cities).hasSize(1);
        assertThat(result.toolExecutions()).hasSize(1);
        assertThat(result.toolExecutions().get(0).request().name()).isEqualTo("weather");
        assertThat(result.toolExecutions().get(0).result()).isEqualTo("sunny in " + tools.cities.get(0));
        assertThat(result.content()).isNotNull();
        assertThat(result.finishReason()).isNotEqualTo(FinishReason.TOOL_EXECUTION);
        // two turns, each a full call through the assistant's steps (measured like any other)
        assertThat(metrics.snapshot().total().succeeded() - before).isEqualTo(2);
    }

    @Test
    void theChatModelReturnsToolExecutionRequestsWithValidArguments() throws Exception {
        ToolSpecification weather = ToolSpecifications.toolSpecificationsFrom(WeatherTools.class).get(0);
        ChatResponse response = AssistantChatModel.builder(assistant).build().chat(ChatRequest.builder()
                .messages(UserMessage.from("Weather in Oslo?"))
                .parameters(ChatRequestParameters.builder().toolSpecifications(weather).toolChoice(ToolChoice.REQUIRED)
                        .maxOutputTokens(80).temperature(1.0).build()).build());
        AiMessage message = response.aiMessage();
        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        assertThat(message.toolExecutionRequests()).hasSize(1);
        JsonNode args = JSON.readTree(message.toolExecutionRequests().get(0).arguments());
        assertThat(args.get("city").isTextual()).isTrue();
        assertThat(response.tokenUsage().inputTokenCount()).isPositive();
    }

    @Test
    void theStreamingModelStreamsTheCallThenCompletesIt() throws Exception {
        ToolSpecification weather = ToolSpecifications.toolSpecificationsFrom(WeatherTools.class).get(0);
        List<PartialToolCall> partials = new CopyOnWriteArrayList<>();
        List<CompleteToolCall> complete = new CopyOnWriteArrayList<>();
        List<String> threads = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        try (AssistantStreamingChatModel model = AssistantStreamingChatModel.builder(assistant).build()) {
            model.chat(ChatRequest.builder().messages(UserMessage.from("Weather in Oslo?"))
                    .parameters(ChatRequestParameters.builder().toolSpecifications(weather)
                            .toolChoice(ToolChoice.REQUIRED).maxOutputTokens(80).build()).build(),
                    new StreamingChatResponseHandler() {
                        @Override
                        public void onPartialResponse(String text) {
                        }

                        @Override
                        public void onPartialToolCall(PartialToolCall call) {
                            threads.add(Thread.currentThread().getName());
                            partials.add(call);
                        }

                        @Override
                        public void onCompleteToolCall(CompleteToolCall call) {
                            complete.add(call);
                        }

                        @Override
                        public void onCompleteResponse(ChatResponse response) {
                            done.complete(response);
                        }

                        @Override
                        public void onError(Throwable error) {
                            done.completeExceptionally(error);
                        }
                    });
            ChatResponse response = done.get(60, TimeUnit.SECONDS);
            assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        }
        assertThat(complete).hasSize(1);
        String id = complete.get(0).toolExecutionRequest().id();
        StringBuilder assembled = new StringBuilder();
        partials.forEach(p -> {
            assertThat(p.id()).isEqualTo(id);
            assertThat(p.name()).isEqualTo("weather");
            assembled.append(p.partialArguments());
        });
        assertThat(partials.size()).isGreaterThan(1);
        assertThat(assembled.toString()).isEqualTo(complete.get(0).toolExecutionRequest().arguments());
        assertThat(threads).allMatch(t -> t.startsWith("assistant-langchain4j-callback"));
    }

    @Test
    void toolSpecificationsMapBothWays() {
        ToolSpecification original = ToolSpecifications.toolSpecificationsFrom(WeatherTools.class).get(0);
        ToolSpec spec = dev.assistant.langchain4j.ToolSpecifications.toToolSpec(original);
        assertThat(spec.name()).isEqualTo("weather");
        assertThat(spec.description()).isEqualTo("Weather in a city");
        assertThat(spec.parameters().at("/properties/city/type").asText()).isEqualTo("string");
        assertThat(spec.parameters().at("/required/0").asText()).isEqualTo("city");
        assertThat(dev.assistant.langchain4j.ToolSpecifications.toToolSpecification(spec)).isEqualTo(original);
    }

    @Test
    void whatTheSdkCannotHonourIsATypedError() {
        AssistantChatModel model = AssistantChatModel.builder(assistant).build();
        assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from(
                ImageContent.from("https://example.invalid/cat.png"))).build()))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
    }
}
