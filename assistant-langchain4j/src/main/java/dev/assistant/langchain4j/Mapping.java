package dev.assistant.langchain4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.CallerKey;
import dev.assistant.core.Completion;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.structured.ResponseFormat;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolChoice;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;

import java.util.ArrayList;
import java.util.List;

/**
 * Translates LangChain4j requests into the SDK's and completions back. A request the SDK cannot honour (images,
 * top-k with penalties it does not know...) fails with INVALID_REQUEST naming what, rather than being half applied.
 */
final class Mapping {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Mapping() {
    }

    /**
     * @param parameters       the request's parameters, already merged with the model's defaults
     * @param callerKey        the key every call presents (null: none)
     * @param afterToolResults the tool choice of a turn that answers tool results when REQUIRED was asked for
     */
    static dev.assistant.core.ChatRequest toCore(ChatRequest request, ChatRequestParameters parameters,
                                                 CallerKey callerKey, ToolChoice afterToolResults) {
        dev.assistant.core.ChatRequest.Builder b = dev.assistant.core.ChatRequest.builder();
        for (ChatMessage m : request.messages()) {
            b.message(message(m));
        }
        List<ToolSpecification> tools = parameters.toolSpecifications();
        if (tools != null) {
            tools.forEach(t -> b.tool(ToolSpecifications.toToolSpec(t)));
        }
        if (parameters.toolChoice() != null && tools != null && !tools.isEmpty()) {
            b.toolChoice(switch (parameters.toolChoice()) {
                case AUTO -> ToolChoice.auto();
                case NONE -> ToolChoice.none();
                // An agent loop sends REQUIRED again with the tools' results; forcing another call there would
                // loop, so that turn runs with the configured choice instead.
                case REQUIRED -> endsWithToolResults(request.messages()) ? afterToolResults : ToolChoice.required();
            });
        }
        SamplingParams.Builder sampling = SamplingParams.builder();
        if (parameters.temperature() != null) {
            sampling.temperature(parameters.temperature());
        }
        if (parameters.topP() != null) {
            sampling.topP(parameters.topP());
        }
        if (parameters.topK() != null) {
            sampling.topK(parameters.topK());
        }
        if (parameters.presencePenalty() != null) {
            sampling.presencePenalty(parameters.presencePenalty());
        }
        if (parameters.frequencyPenalty() != null) {
            sampling.frequencyPenalty(parameters.frequencyPenalty());
        }
        b.sampling(sampling.build());
        if (parameters.maxOutputTokens() != null) {
            b.maxNewTokens(parameters.maxOutputTokens());
        }
        if (parameters.stopSequences() != null && !parameters.stopSequences().isEmpty()) {
            b.stop(parameters.stopSequences().toArray(String[]::new));
        }
        if (parameters.responseFormat() != null && parameters.responseFormat().type() == ResponseFormatType.JSON) {
            var schema = parameters.responseFormat().jsonSchema();
            b.responseFormat(schema == null || schema.rootElement() == null ? ResponseFormat.jsonObject()
                    : ResponseFormat.jsonSchema(safeName(schema.name()),
                    JSON.valueToTree(JsonSchemaElementJsonUtils.toMap(schema.rootElement())), false));
        }
        if (callerKey != null) {
            b.callerKey(callerKey);
        }
        return b.build();
    }

    static ChatResponse toResponse(Completion c) {
        AiMessage.Builder message = AiMessage.builder();
        if (!c.text().isEmpty() || !c.hasToolCalls()) {
            message.text(c.text());
        }
        if (c.hasToolCalls()) {
            message.toolExecutionRequests(c.toolCalls().stream().map(Mapping::request).toList());
        }
        return ChatResponse.builder().aiMessage(message.build())
                .metadata(ChatResponseMetadata.builder().id(c.requestId()).modelName(c.model())
                        .tokenUsage(new TokenUsage(c.usage().promptTokens(), c.usage().completionTokens()))
                        .finishReason(finishReason(c)).build())
                .build();
    }

    static ToolExecutionRequest request(ToolCall call) {
        return ToolExecutionRequest.builder().id(call.id()).name(call.name()).arguments(call.arguments()).build();
    }

    private static FinishReason finishReason(Completion c) {
        return switch (c.finishReason()) {
            case EOS, STOP_STRING -> FinishReason.STOP;
            case LENGTH, CONTEXT_LENGTH -> FinishReason.LENGTH;
            case TOOL_CALLS -> FinishReason.TOOL_EXECUTION;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    private static dev.assistant.core.ChatMessage message(ChatMessage m) {
        if (m instanceof SystemMessage s) {
            return dev.assistant.core.ChatMessage.system(s.text());
        }
        if (m instanceof UserMessage u) {
            if (!u.hasSingleText()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "only text user messages are supported");
            }
            return dev.assistant.core.ChatMessage.user(u.singleText());
        }
        if (m instanceof AiMessage a) {
            List<ToolCall> calls = new ArrayList<>();
            if (a.hasToolExecutionRequests()) {
                for (ToolExecutionRequest r : a.toolExecutionRequests()) {
                    calls.add(new ToolCall(r.id(), r.name(), r.arguments()));
                }
            }
            return dev.assistant.core.ChatMessage.assistant(a.text() == null ? "" : a.text(), calls);
        }
        if (m instanceof ToolExecutionResultMessage t) {
            return dev.assistant.core.ChatMessage.tool(t.id(), t.text());
        }
        throw new AssistantException(ErrorCode.INVALID_REQUEST, "unsupported message type " + m.type());
    }

    private static boolean endsWithToolResults(List<ChatMessage> messages) {
        return !messages.isEmpty() && messages.get(messages.size() - 1) instanceof ToolExecutionResultMessage;
    }

    private static String safeName(String name) {
        return name != null && name.matches("[A-Za-z0-9_-]{1,64}") ? name : "response";
    }
}
