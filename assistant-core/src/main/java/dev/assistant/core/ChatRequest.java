package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation to continue: messages rendered with the model's chat template, then generation. Immutable.
 */
public final class ChatRequest {
    private final List<ChatMessage> messages;
    private final GenerationOptions options;
    private final CallerKey callerKey;

    private ChatRequest(List<ChatMessage> messages, GenerationOptions options, CallerKey callerKey) {
        this.messages = messages;
        this.options = options;
        this.callerKey = callerKey;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A request with one user message and default options. */
    public static ChatRequest of(String userMessage) {
        return builder().user(userMessage).build();
    }

    public List<ChatMessage> messages() {
        return messages;
    }

    public GenerationOptions options() {
        return options;
    }

    /** The caller's API key, when the assistant authenticates callers. */
    public CallerKey callerKey() {
        return callerKey;
    }

    @Override
    public String toString() {
        return "ChatRequest[messages=" + messages.size() + ", options=" + options + "]";
    }

    public static final class Builder extends RequestBuilder<Builder> {
        private final List<ChatMessage> messages = new ArrayList<>();

        public Builder message(ChatMessage message) {
            messages.add(message);
            return this;
        }

        public Builder messages(List<ChatMessage> all) {
            all.forEach(this::message);
            return this;
        }

        public Builder system(String content) {
            return message(ChatMessage.system(content));
        }

        public Builder user(String content) {
            return message(ChatMessage.user(content));
        }

        public Builder assistant(String content) {
            return message(ChatMessage.assistant(content));
        }

        @Override
        Builder self() {
            return this;
        }

        public ChatRequest build() {
            if (messages.isEmpty()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "a chat request needs at least one message");
            }
            return new ChatRequest(List.copyOf(messages), options.build(), callerKey);
        }
    }
}
