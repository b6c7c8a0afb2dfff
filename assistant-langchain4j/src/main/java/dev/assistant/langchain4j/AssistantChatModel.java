package dev.assistant.langchain4j;

import dev.assistant.core.Assistant;
import dev.assistant.core.CallerKey;
import dev.assistant.core.tools.ToolChoice;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;

import java.util.Objects;
import java.util.Set;

/**
 * A LangChain4j {@link ChatModel} answered by an in-process {@link Assistant}: no HTTP, and every call goes through
 * the assistant's steps (authentication with the configured caller key, policies, rate limits, token budget,
 * metrics) like any other. Tools map to the SDK's tool calling: the model's calls come back as
 * {@code ToolExecutionRequest}s and results go back as {@code ToolExecutionResultMessage}s. Thread-safe; the
 * assistant stays owned by the caller.
 */
public final class AssistantChatModel implements ChatModel {
    private final Assistant assistant;
    private final ChatRequestParameters defaults;
    private final CallerKey callerKey;
    private final ToolChoice afterToolResults;

    private AssistantChatModel(Builder b) {
        this.assistant = Objects.requireNonNull(b.assistant, "assistant");
        this.defaults = b.defaults;
        this.callerKey = b.callerKey;
        this.afterToolResults = b.afterToolResults;
    }

    public static Builder builder(Assistant assistant) {
        return new Builder(assistant);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return Mapping.toResponse(assistant.chat(Mapping.toCore(request, request.parameters(), callerKey,
                afterToolResults)));
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public String toString() {
        return "AssistantChatModel[" + assistant.modelInfo().name() + "]";
    }

    /** Configures an {@link AssistantChatModel}. */
    public static final class Builder extends ModelOptions<Builder> {
        private Builder(Assistant assistant) {
            super(assistant);
        }

        @Override
        Builder self() {
            return this;
        }

        public AssistantChatModel build() {
            return new AssistantChatModel(this);
        }
    }
}
