package dev.assistant.server.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.core.Completion;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.Usage;

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
        };
    }

    /** A complete (non-streamed) answer. */
    public ObjectNode completion(Kind kind, String id, long created, Completion c) {
        ObjectNode root = header(kind.object, id, created, c.model());
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (kind == Kind.CHAT) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", c.text());
            message.putNull("refusal");
        } else {
            choice.put("text", c.text());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(c.finishReason()));
        root.set("usage", usage(c.usage()));
        return root;
    }

    /**
     * One streamed chunk. For chat, {@code role} is sent on the first chunk only; {@code finishReason} is null
     * except on the last content chunk.
     */
    public ObjectNode chunk(Kind kind, String id, long created, String model, boolean first, String text,
                            String finishReason) {
        ObjectNode root = header(kind.chunkObject, id, created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
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
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        return root;
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
