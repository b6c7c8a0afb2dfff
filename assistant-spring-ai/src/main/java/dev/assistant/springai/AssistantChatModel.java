package dev.assistant.springai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import dev.assistant.core.CallerKey;
import dev.assistant.core.Completion;
import dev.assistant.core.StreamListener;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolChoice;
import dev.assistant.core.tools.ToolSpec;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.DefaultToolExecutionEligibilityPredicate;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.model.tool.ToolCallingManager;
import org.springframework.ai.model.tool.ToolExecutionEligibilityPredicate;
import org.springframework.ai.model.tool.ToolExecutionResult;
import org.springframework.ai.tool.definition.ToolDefinition;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.scheduler.Schedulers;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A Spring AI {@link ChatModel} answered by an in-process {@link Assistant}: no HTTP, and each model turn is a call
 * through the assistant's steps (authentication with the configured caller key, policies, rate limits, token budget,
 * metrics). Tool callbacks run the Spring AI way: the model's calls come back as {@link AssistantMessage} tool calls,
 * and (unless {@code internalToolExecutionEnabled} is false) the {@link ToolCallingManager} runs them and the model
 * is called again with their results, until it answers. The tool choice comes from {@link AssistantChatOptions}
 * (Spring AI has no portable one); a forced choice applies to turns that do not answer tool results, which take
 * {@link Builder#toolChoiceAfterToolResults} (default {@code auto}) so the loop can end. Thread-safe.
 */
public final class AssistantChatModel implements ChatModel {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Assistant assistant;
    private final AssistantChatOptions defaults;
    private final ToolCallingManager toolCallingManager;
    private final ToolExecutionEligibilityPredicate eligibility;
    private final CallerKey callerKey;
    private final ToolChoice afterToolResults;

    private AssistantChatModel(Builder b) {
        this.assistant = b.assistant;
        this.defaults = b.defaults;
        this.toolCallingManager = b.toolCallingManager;
        this.eligibility = b.eligibility;
        this.callerKey = b.callerKey;
        this.afterToolResults = b.afterToolResults;
    }

    public static Builder builder(Assistant assistant) {
        return new Builder(assistant);
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        Prompt request = new Prompt(prompt.getInstructions(), merge(prompt.getOptions()));
        ChatResponse response = turn(request);
        while (eligibility.isToolExecutionRequired(request.getOptions(), response)) {
            ToolExecutionResult result = toolCallingManager.executeToolCalls(request, response);
            if (result.returnDirect()) {
                return ChatResponse.builder().from(response).generations(ToolExecutionResult.buildGenerations(result))
                        .build();
            }
            request = new Prompt(result.conversationHistory(), request.getOptions());
            response = turn(request);
        }
        return response;
    }

    /**
     * Streams the answer: one {@link ChatResponse} per text piece, then a last one with the finish reason, usage
     * and any tool calls (empty text). When the model calls tools and internal execution is enabled, the calls are
     * run (on Reactor's bounded-elastic scheduler, never on a generation thread) and the next turn streams on.
     */
    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        return streamTurns(new Prompt(prompt.getInstructions(), merge(prompt.getOptions())));
    }

    private Flux<ChatResponse> streamTurns(Prompt request) {
        Flux<Object> events = Flux.create(sink -> {
            CompletableFuture<Completion> running = assistant.chatStream(coreRequest(request), new StreamListener() {
                @Override
                public void onText(String delta) {
                    sink.next(delta);
                }

                @Override
                public void onComplete(Completion completion) {
                    sink.next(completion);
                    sink.complete();
                }

                @Override
                public void onError(AssistantException error) {
                    sink.error(error);
                }
            });
            sink.onCancel(() -> running.cancel(true));
        }, FluxSink.OverflowStrategy.BUFFER);
        return events.publishOn(Schedulers.boundedElastic()).concatMap(event -> {
            if (event instanceof String text) {
                return Flux.just(textChunk(text));
            }
            Completion c = (Completion) event;
            ChatResponse whole = response(c);
            if (!eligibility.isToolExecutionRequired(request.getOptions(), whole)) {
                return Flux.just(lastChunk(c));
            }
            ToolExecutionResult result = toolCallingManager.executeToolCalls(request, whole);
            if (result.returnDirect()) {
                return Flux.just(ChatResponse.builder().from(whole)
                        .generations(ToolExecutionResult.buildGenerations(result)).build());
            }
            return streamTurns(new Prompt(result.conversationHistory(), request.getOptions()));
        });
    }

    private static ChatResponse textChunk(String text) {
        return ChatResponse.builder().generations(List.of(new Generation(new AssistantMessage(text)))).build();
    }

    /** The end of a streamed turn: no text (it was streamed), the calls, finish reason and usage. */
    private static ChatResponse lastChunk(Completion c) {
        ChatResponse whole = response(c);
        AssistantMessage message = AssistantMessage.builder().content("")
                .toolCalls(whole.getResult().getOutput().getToolCalls()).build();
        return ChatResponse.builder().from(whole)
                .generations(List.of(new Generation(message, whole.getResult().getMetadata()))).build();
    }

    @Override
    public ChatOptions getDefaultOptions() {
        return defaults.copy();
    }

    /** One model turn: the prompt as an SDK chat request, the completion as a chat response. */
    private ChatResponse turn(Prompt prompt) {
        return response(assistant.chat(coreRequest(prompt)));
    }

    private dev.assistant.core.ChatRequest coreRequest(Prompt prompt) {
        AssistantChatOptions options = (AssistantChatOptions) prompt.getOptions();
        dev.assistant.core.ChatRequest.Builder b = dev.assistant.core.ChatRequest.builder();
        List<Message> messages = prompt.getInstructions();
        messages.forEach(m -> addMessage(b, m));
        List<ToolDefinition> tools = toolCallingManager.resolveToolDefinitions(options);
        for (ToolDefinition tool : tools) {
            b.tool(ToolSpec.of(tool.name(), tool.description(), schema(tool)));
        }
        ToolChoice choice = options.getToolChoice();
        if (choice != null && !tools.isEmpty()) {
            boolean answersResults = !messages.isEmpty() && messages.get(messages.size() - 1) instanceof ToolResponseMessage;
            b.toolChoice(choice.forcesCall() && answersResults ? afterToolResults : choice);
        }
        SamplingParams.Builder sampling = SamplingParams.builder();
        if (options.getTemperature() != null) {
            sampling.temperature(options.getTemperature());
        }
        if (options.getTopP() != null) {
            sampling.topP(options.getTopP());
        }
        if (options.getTopK() != null) {
            sampling.topK(options.getTopK());
        }
        if (options.getPresencePenalty() != null) {
            sampling.presencePenalty(options.getPresencePenalty());
        }
        if (options.getFrequencyPenalty() != null) {
            sampling.frequencyPenalty(options.getFrequencyPenalty());
        }
        b.sampling(sampling.build());
        if (options.getMaxTokens() != null) {
            b.maxNewTokens(options.getMaxTokens());
        }
        if (options.getStopSequences() != null && !options.getStopSequences().isEmpty()) {
            b.stop(options.getStopSequences().toArray(String[]::new));
        }
        if (callerKey != null) {
            b.callerKey(callerKey);
        }
        return b.build();
    }

    private static void addMessage(dev.assistant.core.ChatRequest.Builder b, Message m) {
        if (m instanceof SystemMessage s) {
            b.system(s.getText());
        } else if (m instanceof UserMessage u) {
            if (!u.getMedia().isEmpty()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "only text user messages are supported");
            }
            b.user(u.getText());
        } else if (m instanceof AssistantMessage a) {
            List<ToolCall> calls = a.getToolCalls().stream()
                    .map(c -> new ToolCall(c.id(), c.name(), c.arguments())).toList();
            b.assistant(a.getText() == null ? "" : a.getText(), calls);
        } else if (m instanceof ToolResponseMessage t) {
            t.getResponses().forEach(r -> b.toolResult(r.id(), r.responseData()));
        } else {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "unsupported message type " + m.getMessageType());
        }
    }

    private static ChatResponse response(Completion c) {
        List<AssistantMessage.ToolCall> calls = new ArrayList<>();
        for (ToolCall call : c.toolCalls()) {
            calls.add(new AssistantMessage.ToolCall(call.id(), "function", call.name(), call.arguments()));
        }
        AssistantMessage message = AssistantMessage.builder().content(c.text()).toolCalls(calls).build();
        Generation generation = new Generation(message,
                ChatGenerationMetadata.builder().finishReason(c.finishReason().name()).build());
        return ChatResponse.builder().generations(List.of(generation))
                .metadata(ChatResponseMetadata.builder().id(c.requestId()).model(c.model())
                        .usage(new DefaultUsage(c.usage().promptTokens(), c.usage().completionTokens())).build())
                .build();
    }

    private static JsonNode schema(ToolDefinition tool) {
        try {
            return tool.inputSchema() == null || tool.inputSchema().isBlank() ? null : JSON.readTree(tool.inputSchema());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST,
                    "the input schema of tool '" + tool.name() + "' is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The prompt's options over the model's defaults, as {@link AssistantChatOptions}. */
    private AssistantChatOptions merge(ChatOptions runtime) {
        AssistantChatOptions merged = defaults.copy();
        if (runtime == null) {
            return merged;
        }
        if (runtime.getTemperature() != null) {
            merged.setTemperature(runtime.getTemperature());
        }
        if (runtime.getTopP() != null) {
            merged.setTopP(runtime.getTopP());
        }
        if (runtime.getTopK() != null) {
            merged.setTopK(runtime.getTopK());
        }
        if (runtime.getMaxTokens() != null) {
            merged.setMaxTokens(runtime.getMaxTokens());
        }
        if (runtime.getStopSequences() != null) {
            merged.setStopSequences(runtime.getStopSequences());
        }
        if (runtime.getPresencePenalty() != null) {
            merged.setPresencePenalty(runtime.getPresencePenalty());
        }
        if (runtime.getFrequencyPenalty() != null) {
            merged.setFrequencyPenalty(runtime.getFrequencyPenalty());
        }
        if (runtime instanceof ToolCallingChatOptions tools) {
            merged.setToolCallbacks(ToolCallingChatOptions.mergeToolCallbacks(tools.getToolCallbacks(),
                    merged.getToolCallbacks()));
            merged.setToolNames(ToolCallingChatOptions.mergeToolNames(tools.getToolNames(), merged.getToolNames()));
            merged.setToolContext(ToolCallingChatOptions.mergeToolContext(tools.getToolContext(),
                    merged.getToolContext()));
            if (tools.getInternalToolExecutionEnabled() != null) {
                merged.setInternalToolExecutionEnabled(tools.getInternalToolExecutionEnabled());
            }
        }
        ToolChoice choice = AssistantChatOptions.toolChoiceOf(runtime);
        if (choice != null) {
            merged.setToolChoice(choice);
        }
        return merged;
    }

    @Override
    public String toString() {
        return "AssistantChatModel[" + assistant.modelInfo().name() + "]";
    }

    /** Configures an {@link AssistantChatModel}. */
    public static final class Builder {
        private final Assistant assistant;
        private AssistantChatOptions defaults = new AssistantChatOptions();
        private ToolCallingManager toolCallingManager;
        private ToolExecutionEligibilityPredicate eligibility = new DefaultToolExecutionEligibilityPredicate();
        private CallerKey callerKey;
        private ToolChoice afterToolResults = ToolChoice.auto();

        private Builder(Assistant assistant) {
            this.assistant = Objects.requireNonNull(assistant, "assistant");
        }

        /** Options every prompt starts from (its own options override them). */
        public Builder defaultOptions(AssistantChatOptions options) {
            this.defaults = Objects.requireNonNull(options, "options").copy();
            return this;
        }

        /** Resolves and runs tool callbacks (default: Spring AI's {@code DefaultToolCallingManager}). */
        public Builder toolCallingManager(ToolCallingManager manager) {
            this.toolCallingManager = Objects.requireNonNull(manager, "manager");
            return this;
        }

        /** Decides when tool calls are run by the model itself (default: Spring AI's default predicate). */
        public Builder toolExecutionEligibilityPredicate(ToolExecutionEligibilityPredicate predicate) {
            this.eligibility = Objects.requireNonNull(predicate, "predicate");
            return this;
        }

        /** The API key every turn presents to the assistant (the caller keeps it open while the model is used). */
        public Builder callerKey(CallerKey key) {
            this.callerKey = key;
            return this;
        }

        /** The tool choice of a turn answering tool results when a call is forced (default {@code auto}). */
        public Builder toolChoiceAfterToolResults(ToolChoice choice) {
            this.afterToolResults = Objects.requireNonNull(choice, "choice");
            return this;
        }

        public AssistantChatModel build() {
            if (toolCallingManager == null) {
                toolCallingManager = ToolCallingManager.builder().build();
            }
            return new AssistantChatModel(this);
        }
    }
}
