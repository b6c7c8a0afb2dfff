package dev.assistant.langchain4j;

import dev.assistant.api.AssistantException;
import dev.assistant.core.Assistant;
import dev.assistant.core.CallerKey;
import dev.assistant.core.Completion;
import dev.assistant.core.StreamListener;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolCallDelta;
import dev.assistant.core.tools.ToolChoice;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A LangChain4j {@link StreamingChatModel} answered by an in-process {@link Assistant}: text arrives through
 * {@code onPartialResponse}, tool calls through {@code onPartialToolCall} (argument fragments, with the call's id and
 * name) and {@code onCompleteToolCall}, then {@code onCompleteResponse}. The handler never runs on the assistant's
 * generation threads: each request's events are delivered in order on the callback executor (by default the
 * model's own daemon threads, stopped by {@link #close()}). Every call passes the assistant's steps like any other.
 */
public final class AssistantStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final Assistant assistant;
    private final ChatRequestParameters defaults;
    private final CallerKey callerKey;
    private final ToolChoice afterToolResults;
    private final Executor callbacks;
    private final ExecutorService owned;

    private AssistantStreamingChatModel(Builder b) {
        this.assistant = b.assistant;
        this.defaults = b.defaults;
        this.callerKey = b.callerKey;
        this.afterToolResults = b.afterToolResults;
        if (b.callbacks != null) {
            this.callbacks = b.callbacks;
            this.owned = null;
        } else {
            this.owned = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "assistant-langchain4j-callback");
                t.setDaemon(true);
                return t;
            });
            this.callbacks = owned;
        }
    }

    public static Builder builder(Assistant assistant) {
        return new Builder(assistant);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        SerialExecutor events = new SerialExecutor(callbacks);
        dev.assistant.core.ChatRequest core;
        try {
            core = Mapping.toCore(request, request.parameters(), callerKey, afterToolResults);
        } catch (AssistantException e) {
            events.execute(() -> handler.onError(e));
            return;
        }
        assistant.chatStream(core, new StreamListener() {
            private final Map<Integer, ToolCallDelta> started = new HashMap<>();

            @Override
            public void onText(String delta) {
                events.execute(() -> handler.onPartialResponse(delta));
            }

            @Override
            public void onToolCall(ToolCallDelta delta) {
                if (delta.isStart()) {
                    started.put(delta.index(), delta);
                    return;
                }
                ToolCallDelta head = started.get(delta.index());
                PartialToolCall partial = PartialToolCall.builder().index(delta.index()).id(head.id())
                        .name(head.name()).partialArguments(delta.arguments()).build();
                events.execute(() -> handler.onPartialToolCall(partial));
            }

            @Override
            public void onComplete(Completion completion) {
                events.execute(() -> {
                    List<ToolCall> calls = completion.toolCalls();
                    for (int i = 0; i < calls.size(); i++) {
                        handler.onCompleteToolCall(new CompleteToolCall(i, Mapping.request(calls.get(i))));
                    }
                    handler.onCompleteResponse(Mapping.toResponse(completion));
                });
            }

            @Override
            public void onError(AssistantException error) {
                events.execute(() -> handler.onError(error));
            }
        });
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    /** Stops the callback threads this model started (none when an executor was given). */
    @Override
    public void close() {
        if (owned != null) {
            owned.shutdown();
        }
    }

    @Override
    public String toString() {
        return "AssistantStreamingChatModel[" + assistant.modelInfo().name() + "]";
    }

    /** Configures an {@link AssistantStreamingChatModel}. */
    public static final class Builder extends ModelOptions<Builder> {
        private Executor callbacks;

        private Builder(Assistant assistant) {
            super(assistant);
        }

        /** Where the handler's methods run (each request's in order); default: the model's own daemon threads. */
        public Builder callbackExecutor(Executor executor) {
            this.callbacks = Objects.requireNonNull(executor, "executor");
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        public AssistantStreamingChatModel build() {
            return new AssistantStreamingChatModel(this);
        }
    }
}
