package dev.assistant.server.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.assistant.core.Completion;
import dev.assistant.core.TokenLogprob;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.Usage;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolCallDelta;

import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Builds response bodies in the shapes OpenAI clients parse: {@code chat.completion},
 * {@code chat.completion.chunk}, {@code text_completion} and the model list. Stateless and thread-safe.
 */
public final class ResponseBodies {
    /** The kinds of answer: chat (messages) or plain text completion. */
    public enum Kind {
        CHAT("chat.completion", "chat.completion.chunk", "chatcmpl-"),
        TEXT("text_completion", "text_completion", "cmpl-");

        private final String object;
        private final String chunkObject;
        private final String idPrefix;

        Kind(String object, String chunkObject, String idPrefix) {
            this.object = object;
            this.chunkObject = chunkObject;
            this.idPrefix = idPrefix;
        }

        /** The id prefix OpenAI uses for this kind. */
        public String idPrefix() {
            return idPrefix;
        }
    }

    private final ObjectMapper json;

    public ResponseBodies(ObjectMapper json) {
        this.json = Objects.requireNonNull(json, "json");
    }

    /** OpenAI's {@code finish_reason}: {@code stop} for an end token or stop sequence, {@code length} otherwise. */
    public static String finishReason(FinishReason reason) {
        return switch (reason) {
            case EOS, STOP_STRING, CANCELLED -> "stop";
            case LENGTH, CONTEXT_LENGTH -> "length";
            case TOOL_CALLS -> "tool_calls";
        };
    }

    /** A complete (non-streamed) answer: one entry in {@code choices} per choice. */
    public ObjectNode completion(Kind kind, String id, long created, Completion c) {
        ObjectNode root = header(kind.object, id, created, c.model());
        ArrayNode choices = root.putArray("choices");
        for (Completion.Choice ch : c.choices()) {
            ObjectNode choice = choices.addObject();
            choice.put("index", ch.index());
            if (kind == Kind.CHAT) {
                ObjectNode message = choice.putObject("message");
                message.put("role", "assistant");
                // tool calls belong to the first (only) choice: n > 1 is refused with tools
                boolean calls = ch.index() == 0 && c.hasToolCalls();
                if (calls && ch.text().isEmpty()) {
                    message.putNull("content"); // as OpenAI answers a turn that only calls tools
                } else {
                    message.put("content", ch.text());
                }
                message.putNull("refusal");
                if (calls) {
                    message.set("tool_calls", toolCalls(c.toolCalls()));
                }
            } else {
                choice.put("text", ch.text());
            }
            choice.set("logprobs", logprobs(kind, ch.logprobs()));
            choice.put("finish_reason", finishReason(ch.finishReason()));
        }
        root.set("usage", usage(c.usage()));
        return root;
    }

    /**
     * One streamed chunk of the first choice. For chat, {@code role} is sent on the first chunk only;
     * {@code finishReason} is null except on the last content chunk.
     */
    public ObjectNode chunk(Kind kind, String id, long created, String model, boolean first, String text,
                            String finishReason) {
        return chunk(kind, id, created, model, 0, first, text, finishReason, List.of());
    }

    /**
     * One streamed chunk of choice {@code index}. Log-probabilities (when asked for) travel on the choice's last
     * chunk, the one with its {@code finishReason}, for all its tokens at once; otherwise {@code logprobs} is null.
     */
    public ObjectNode chunk(Kind kind, String id, long created, String model, int index, boolean first, String text,
                            String finishReason, List<TokenLogprob> logprobs) {
        ObjectNode root = header(kind.chunkObject, id, created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", index);
        if (kind == Kind.CHAT) {
            ObjectNode delta = choice.putObject("delta");
            if (first) {
                delta.put("role", "assistant");
            }
            if (text != null) {
                delta.put("content", text);
            }
        } else {
            choice.put("text", text == null ? "" : text);
        }
        choice.set("logprobs", logprobs(kind, logprobs));
        choice.put("finish_reason", finishReason);
        return root;
    }

    /**
     * One streamed piece of a tool call, as OpenAI streams them: the first piece of a call carries {@code index},
     * {@code id}, {@code type} and {@code function.name} with empty {@code arguments} (and, on the answer's first
     * chunk, {@code role} with null {@code content}); later pieces carry the index and an arguments fragment.
     */
    public ObjectNode toolCallChunk(String id, long created, String model, boolean first, ToolCallDelta call) {
        ObjectNode root = header(Kind.CHAT.chunkObject, id, created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (first) {
            delta.put("role", "assistant");
            delta.putNull("content");
        }
        ObjectNode t = delta.putArray("tool_calls").addObject();
        t.put("index", call.index());
        if (call.isStart()) {
            t.put("id", call.id());
            t.put("type", "function");
        }
        ObjectNode function = t.putObject("function");
        if (call.isStart()) {
            function.put("name", call.name());
        }
        function.put("arguments", call.arguments());
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return root;
    }

    private ArrayNode toolCalls(List<ToolCall> calls) {
        ArrayNode out = json.createArrayNode();
        for (ToolCall call : calls) {
            ObjectNode t = out.addObject();
            t.put("id", call.id());
            t.put("type", "function");
            ObjectNode function = t.putObject("function");
            function.put("name", call.name());
            function.put("arguments", call.arguments());
        }
        return out;
    }

    /**
     * OpenAI's log-probability shapes: chat's {@code {content: [{token, logprob, bytes, top_logprobs}]}}, and the
     * legacy completions' {@code {tokens, token_logprobs, top_logprobs, text_offset}}. Null when there are none.
     */
    private JsonNode logprobs(Kind kind, List<TokenLogprob> tokens) {
        if (tokens.isEmpty()) {
            return NullNode.getInstance();
        }
        ObjectNode out = json.createObjectNode();
        if (kind == Kind.CHAT) {
            ArrayNode content = out.putArray("content");
            for (TokenLogprob t : tokens) {
                ObjectNode entry = tokenEntry(t.token(), t.logprob(), t.bytes());
                ArrayNode top = entry.putArray("top_logprobs");
                for (TokenLogprob.Alternative a : t.top()) {
                    top.add(tokenEntry(a.token(), a.logprob(), a.bytes()));
                }
                content.add(entry);
            }
            out.putNull("refusal");
            return out;
        }
        ArrayNode texts = out.putArray("tokens");
        ArrayNode values = out.putArray("token_logprobs");
        ArrayNode tops = out.putArray("top_logprobs");
        ArrayNode offsets = out.putArray("text_offset");
        int offset = 0;
        for (TokenLogprob t : tokens) {
            texts.add(t.token());
            values.add(t.logprob());
            ObjectNode top = tops.addObject();
            for (TokenLogprob.Alternative a : t.top()) {
                top.put(a.token(), a.logprob());
            }
            offsets.add(offset);
            offset += t.token().length();
        }
        return out;
    }

    private ObjectNode tokenEntry(String token, double logprob, byte[] bytes) {
        ObjectNode e = json.createObjectNode();
        e.put("token", token);
        e.put("logprob", logprob);
        ArrayNode b = e.putArray("bytes");
        for (byte x : bytes) {
            b.add(x & 0xff);
        }
        return e;
    }

    /** The extra last chunk with token usage ({@code stream_options.include_usage}): no choices. */
    public ObjectNode usageChunk(Kind kind, String id, long created, String model, Usage usage) {
        ObjectNode root = header(kind.chunkObject, id, created, model);
        root.putArray("choices");
        root.set("usage", usage(usage));
        return root;
    }

    /** {@code GET /v1/models}: entries of {@link #model}. */
    public ObjectNode modelList(List<ObjectNode> models) {
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        root.putArray("data").addAll(models);
        return root;
    }

    /**
     * {@code GET /v1/models/{id}}: OpenAI's fields, plus the model's {@code version} (null when the server does
     * not know it) and load {@code state} ({@code loaded}, {@code loading} or {@code unloaded}); clients ignore
     * fields they do not know.
     */
    public ObjectNode model(String name, String version, String state, long created) {
        ObjectNode m = json.createObjectNode();
        m.put("id", name);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "assistant");
        m.put("version", version);
        m.put("state", state);
        return m;
    }

    private ObjectNode header(String object, String id, long created, String model) {
        ObjectNode root = json.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        root.putNull("system_fingerprint");
        return root;
    }

    private ObjectNode usage(Usage u) {
        ObjectNode usage = json.createObjectNode();
        usage.put("prompt_tokens", u.promptTokens());
        usage.put("completion_tokens", u.completionTokens());
        usage.put("total_tokens", u.totalTokens());
        return usage;
    }
}
