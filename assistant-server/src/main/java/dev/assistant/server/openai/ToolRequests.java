package dev.assistant.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.api.AssistantException;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolChoice;
import dev.assistant.core.tools.ToolSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The tool-calling parts of an OpenAI chat request: {@code tools}, {@code tool_choice},
 * {@code parallel_tool_calls}, assistant messages with {@code tool_calls} and {@code tool} messages. Anything
 * malformed is a 400 naming the offending parameter. Stateless.
 */
final class ToolRequests {
    private ToolRequests() {
    }

    /** Reads {@code tools}, {@code tool_choice} and {@code parallel_tool_calls} into the builder. */
    static void apply(JsonNode body, ChatRequest.Builder b) {
        for (String legacy : List.of("functions", "function_call")) {
            JsonNode n = body.get(legacy);
            if (n != null && !n.isNull()) {
                throw bad(legacy, "'" + legacy + "' is deprecated and not supported: use 'tools' and 'tool_choice'.");
            }
        }
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw bad("tools", "'tools' must be an array of function tools.");
            }
            for (int i = 0; i < tools.size(); i++) {
                b.tool(tool(tools.get(i), "tools[" + i + "]"));
            }
        }
        JsonNode choice = body.get("tool_choice");
        if (choice != null && !choice.isNull()) {
            b.toolChoice(choice(choice));
        }
        JsonNode parallel = body.get("parallel_tool_calls");
        if (parallel != null && !parallel.isNull()) {
            if (!parallel.isBoolean()) {
                throw bad("parallel_tool_calls", "'parallel_tool_calls' must be a boolean.");
            }
            b.parallelToolCalls(parallel.booleanValue());
        }
    }

    /** An assistant message: its text (may be null with tool calls) and {@code tool_calls}. */
    static ChatMessage assistant(JsonNode m, String text, String param) {
        JsonNode calls = m.get("tool_calls");
        if (calls == null || calls.isNull() || (calls.isArray() && calls.isEmpty())) {
            if (text == null) {
                throw bad(param + ".content", "An assistant message needs 'content' or 'tool_calls'.");
            }
            return ChatMessage.assistant(text);
        }
        if (!calls.isArray()) {
            throw bad(param + ".tool_calls", "'tool_calls' must be an array.");
        }
        List<ToolCall> out = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            String p = param + ".tool_calls[" + i + "]";
            JsonNode call = calls.get(i);
            JsonNode function = call.path("function");
            if (!call.path("id").isTextual() || !function.path("name").isTextual()) {
                throw bad(p, "A tool call needs a string 'id' and 'function.name'.");
            }
            JsonNode arguments = function.get("arguments");
            if (arguments != null && !arguments.isNull() && !arguments.isTextual()) {
                throw bad(p + ".function.arguments", "'arguments' must be a string of JSON.");
            }
            out.add(wrap(() -> new ToolCall(call.get("id").asText(), function.get("name").asText(),
                    arguments == null || arguments.isNull() ? null : arguments.asText()), p));
        }
        return ChatMessage.assistant(text == null ? "" : text, out);
    }

    /** A {@code tool} message: the result of the call {@code tool_call_id}. */
    static ChatMessage toolResult(JsonNode m, String text, String param) {
        JsonNode id = m.get("tool_call_id");
        if (id == null || !id.isTextual() || id.asText().isBlank()) {
            throw bad(param + ".tool_call_id", "A tool message needs the 'tool_call_id' of the call it answers.");
        }
        if (text == null) {
            throw bad(param + ".content", "A tool message needs 'content'.");
        }
        return ChatMessage.tool(id.asText(), text);
    }

    private static ToolSpec tool(JsonNode t, String param) {
        if (t == null || !t.isObject() || !"function".equals(t.path("type").asText())) {
            throw bad(param, "Only tools of type 'function' are supported.");
        }
        JsonNode f = t.get("function");
        if (f == null || !f.isObject() || !f.path("name").isTextual()) {
            throw bad(param + ".function", "A function tool needs 'function.name'.");
        }
        JsonNode description = f.get("description");
        if (description != null && !description.isNull() && !description.isTextual()) {
            throw bad(param + ".function.description", "'description' must be a string.");
        }
        return wrap(() -> ToolSpec.of(f.get("name").asText(), description == null ? null : description.asText(null),
                f.get("parameters")), param + ".function");
    }

    private static ToolChoice choice(JsonNode c) {
        if (c.isTextual()) {
            return switch (c.asText()) {
                case "auto" -> ToolChoice.auto();
                case "none" -> ToolChoice.none();
                case "required" -> ToolChoice.required();
                default -> throw bad("tool_choice", "'tool_choice' must be 'auto', 'none', 'required' or "
                        + "{\"type\": \"function\", \"function\": {\"name\": ...}}.");
            };
        }
        if (c.isObject() && "function".equals(c.path("type").asText()) && c.path("function").path("name").isTextual()) {
            return ToolChoice.function(c.get("function").get("name").asText());
        }
        throw bad("tool_choice", "'tool_choice' must be 'auto', 'none', 'required' or "
                + "{\"type\": \"function\", \"function\": {\"name\": ...}}.");
    }

    private static <T> T wrap(java.util.function.Supplier<T> make, String param) {
        try {
            return make.get();
        } catch (AssistantException e) {
            throw bad(param, e.getMessage());
        }
    }

    private static ApiException bad(String param, String message) {
        return new ApiException(ApiError.invalid(param, message));
    }
}
