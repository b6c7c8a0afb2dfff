package dev.assistant.core.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.GenerationOptions;
import dev.assistant.core.StreamListener;
import dev.assistant.core.structured.ResponseFormat;
import dev.assistant.core.tokenizer.ChatFormat;
import dev.assistant.core.tokenizer.ChatTemplate;
import dev.assistant.core.tokenizer.ModelTokenizer;

import java.util.List;
import java.util.Optional;

/**
 * How one chat turn runs with tools: the prompt (tools rendered by the template or the fallback, plus the call
 * marker when a call is forced), the model's call format, the schema a forced call is generated under, and the
 * scanner that splits the answer into text and calls. Immutable.
 */
public final class ToolTurn {
    private final ChatRequest request;
    private final ToolCallFormat format;
    private final String prompt;
    private final boolean addSpecialTokens;

    private ToolTurn(ChatRequest request, ToolCallFormat format, String prompt, boolean addSpecialTokens) {
        this.request = request;
        this.format = format;
        this.prompt = prompt;
        this.addSpecialTokens = addSpecialTokens;
    }

    /** Plans the turn of {@code request} on a model with {@code tokenizer}. */
    public static ToolTurn plan(ChatRequest request, ModelTokenizer tokenizer) {
        ChatFormat chatFormat = tokenizer.chatFormat();
        ToolCallFormat format = ToolPrompt.nativeTools(chatFormat)
                ? ToolCallFormat.detect(((ChatTemplate) chatFormat).source(), t -> tokenizer.tokenToId(t).isPresent())
                : ToolCallFormat.HERMES;
        List<ToolSpec> shown = request.toolChoice().mode() == ToolChoice.Mode.NONE ? List.of() : request.tools();
        String prompt = ToolPrompt.render(chatFormat, request.messages(), shown, true);
        if (request.toolChoice().forcesCall()) {
            prompt += format.forcedPrefix();
        }
        return new ToolTurn(request, format, prompt, chatFormat.addSpecialTokensWhenEncoding());
    }

    /** The prompt text to encode. */
    public String prompt() {
        return prompt;
    }

    /** Whether the prompt is encoded with the tokenizer's special tokens (see {@link ChatFormat}). */
    public boolean addSpecialTokens() {
        return addSpecialTokens;
    }

    public ToolCallFormat format() {
        return format;
    }

    /** Whether the answer is parsed for tool calls. */
    public boolean parsesCalls() {
        return request.usesTools();
    }

    /**
     * The JSON schema the answer is generated under when a call is forced ({@code required}: any of the tools;
     * a named function: that one), else empty.
     */
    public Optional<JsonNode> forcedSchema() {
        ToolChoice choice = request.toolChoice();
        if (!choice.forcesCall()) {
            return Optional.empty();
        }
        List<ToolSpec> candidates = choice.mode() == ToolChoice.Mode.FUNCTION
                ? request.tools().stream().filter(t -> t.name().equals(choice.functionName())).toList()
                : request.tools();
        return Optional.of(format.forcedSchema(candidates, request.parallelToolCalls()));
    }

    /**
     * The generation options of this turn: the request's, with a forced call generated under
     * {@link #forcedSchema()} (this replaces any response format of the request for this turn: the answer of a
     * forced turn is the call).
     */
    public GenerationOptions options(GenerationOptions requested) {
        Optional<JsonNode> schema = forcedSchema();
        if (schema.isEmpty()) {
            return requested;
        }
        ResponseFormat call = ResponseFormat.jsonSchema("tool_call", schema.get(), false);
        return new GenerationOptions(requested.maxNewTokens(), requested.sampling(), requested.stopStrings(),
                requested.ignoreStops(), requested.timeout(), call, requested.logprobs(), requested.topLogprobs(),
                requested.n());
    }

    /**
     * A scanner for the answer, sending text and call pieces to {@code listener}.
     *
     * @param idPrefix call ids are this prefix followed by the call's index
     */
    public ToolCallScanner scanner(String idPrefix, StreamListener listener) {
        ToolCallScanner.Sink sink = new ToolCallScanner.Sink() {
            @Override
            public void text(String text) {
                listener.onText(text);
            }

            @Override
            public void toolCall(ToolCallDelta delta) {
                listener.onToolCall(delta);
            }
        };
        int maxCalls = request.parallelToolCalls() ? Integer.MAX_VALUE : 1;
        return new ToolCallScanner(format, request.toolChoice().forcesCall(), idPrefix, maxCalls, sink);
    }
}
