package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolChoice;
import dev.assistant.core.tools.ToolSpec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A conversation to continue: messages rendered with the model's chat template, then generation. Immutable.
 *
 * <p>With {@link Builder#tools tools} the model may answer with tool calls ({@link Completion#toolCalls()}, finish
 * reason {@code TOOL_CALLS}); the caller runs them and continues the conversation with the assistant's turn
 * ({@link ChatMessage#assistant(String, List)}) and one {@link ChatMessage#tool tool} message per call.
 */
public final class ChatRequest {
    private final List<ChatMessage> messages;
    private final GenerationOptions options;
    private final CallerKey callerKey;
    private final List<ToolSpec> tools;
    private final ToolChoice toolChoice;
    private final boolean parallelToolCalls;

    private ChatRequest(Builder b, GenerationOptions options) {
        this.messages = List.copyOf(b.messages);
        this.options = options;
        this.callerKey = b.callerKey;
        this.tools = List.copyOf(b.tools);
        this.toolChoice = b.toolChoice;
        this.parallelToolCalls = b.parallelToolCalls;
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

    /** The tools the model may call (empty: none). */
    public List<ToolSpec> tools() {
        return tools;
    }

    /** Whether and which tool the model must call (default {@code auto}). */
    public ToolChoice toolChoice() {
        return toolChoice;
    }

    /** Whether one answer may call several tools (default true). */
    public boolean parallelToolCalls() {
        return parallelToolCalls;
    }

    /** Whether this turn runs with tools: some are given and the choice is not {@code none}. */
    public boolean usesTools() {
        return !tools.isEmpty() && toolChoice.mode() != ToolChoice.Mode.NONE;
    }

    @Override
    public String toString() {
        return "ChatRequest[messages=" + messages.size() + ", tools=" + tools.size() + ", toolChoice=" + toolChoice
                + ", options=" + options + "]";
    }

    public static final class Builder extends RequestBuilder<Builder> {
        private final List<ChatMessage> messages = new ArrayList<>();
        private final List<ToolSpec> tools = new ArrayList<>();
        private ToolChoice toolChoice = ToolChoice.auto();
        private boolean parallelToolCalls = true;

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

        /** An assistant turn that called tools, as returned in {@link Completion#toolCalls()}. */
        public Builder assistant(String content, List<ToolCall> toolCalls) {
            return message(ChatMessage.assistant(content, toolCalls));
        }

        /** The result of tool call {@code toolCallId}. */
        public Builder toolResult(String toolCallId, String content) {
            return message(ChatMessage.tool(toolCallId, content));
        }

        /** Adds a tool the model may call. */
        public Builder tool(ToolSpec tool) {
            tools.add(Objects.requireNonNull(tool, "tool"));
            return this;
        }

        /** Adds tools the model may call. */
        public Builder tools(List<ToolSpec> all) {
            all.forEach(this::tool);
            return this;
        }

        /** Whether and which tool the model must call (default {@code auto}). */
        public Builder toolChoice(ToolChoice choice) {
            this.toolChoice = Objects.requireNonNull(choice, "choice");
            return this;
        }

        /** Whether one answer may call several tools (default true). */
        public Builder parallelToolCalls(boolean parallel) {
            this.parallelToolCalls = parallel;
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        /**
         * @throws AssistantException INVALID_REQUEST without messages, with two tools of one name, or with a tool
         *                            choice that forces a call when no tool (or not the named one) is given
         */
        public ChatRequest build() {
            if (messages.isEmpty()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "a chat request needs at least one message");
            }
            Set<String> names = new HashSet<>();
            for (ToolSpec tool : tools) {
                if (!names.add(tool.name())) {
                    throw new AssistantException(ErrorCode.INVALID_REQUEST, "two tools are named '" + tool.name() + "'");
                }
            }
            if (toolChoice.forcesCall() && tools.isEmpty()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST,
                        "tool choice '" + toolChoice + "' needs at least one tool");
            }
            if (toolChoice.mode() == ToolChoice.Mode.FUNCTION && !names.contains(toolChoice.functionName())) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "tool choice names '"
                        + toolChoice.functionName() + "', which is not one of the request's tools");
            }
            GenerationOptions built = options.build();
            if (!tools.isEmpty() && toolChoice.mode() != ToolChoice.Mode.NONE && built.n() > 1) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "n > 1 is not supported with tools");
            }
            return new ChatRequest(this, built);
        }
    }
}
