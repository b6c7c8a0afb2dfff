package dev.assistant.core.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.tokenizer.ChatFormat;
import dev.assistant.core.tokenizer.ChatTemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders a conversation with tools through the model's chat format.
 *
 * <p>A chat template that uses HuggingFace's {@code tools} variable gets the tools, and (when it renders them) the
 * assistant's {@code tool_calls} and the {@code tool} results as they are. Otherwise (no template, or a template
 * without tool support) the fallback applies:
 * <ul>
 *   <li>the tools are described in a section appended to the system message (a system message is added when the
 *       conversation has none), which asks for calls as {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}
 *       (the {@link ToolCallFormat#HERMES} format, which is then the one parsed);</li>
 *   <li>earlier assistant tool calls become that text in the assistant's message, and tool results become a user
 *       message of {@code <tool_response>...</tool_response>} blocks (consecutive results share one message).</li>
 * </ul>
 */
public final class ToolPrompt {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ToolPrompt() {
    }

    /** Whether {@code format} shows tools to the model itself (else the fallback is used). */
    public static boolean nativeTools(ChatFormat format) {
        return format instanceof ChatTemplate t && t.supportsTools();
    }

    /**
     * The prompt text.
     *
     * @param tools the tools to show (may be empty)
     */
    public static String render(ChatFormat format, List<ChatMessage> messages, List<ToolSpec> tools,
                                boolean addGenerationPrompt) {
        boolean hasToolHistory = messages.stream().anyMatch(m -> m.role() == ChatMessage.Role.TOOL
                || !m.toolCalls().isEmpty());
        if (format instanceof ChatTemplate t && t.supportsTools()) {
            List<ChatMessage> history = t.supportsToolCalls() ? messages : historyAsText(messages);
            return t.render(history, tools, addGenerationPrompt);
        }
        if (tools.isEmpty() && !hasToolHistory) {
            return format.render(messages, addGenerationPrompt);
        }
        List<ChatMessage> rewritten = historyAsText(messages);
        if (!tools.isEmpty()) {
            rewritten = withToolSection(rewritten, tools);
        }
        return format.render(rewritten, addGenerationPrompt);
    }

    /** The system-prompt section of the fallback, describing the tools and the call format. */
    public static String toolSection(List<ToolSpec> tools) {
        StringBuilder s = new StringBuilder("# Tools\nYou may call these functions (JSON Schema):\n<tools>");
        for (ToolSpec tool : tools) {
            // compact: name, description when there is one, parameters (small models have small contexts)
            var line = JSON.createObjectNode().put("name", tool.name());
            if (!tool.description().isEmpty()) {
                line.put("description", tool.description());
            }
            line.set("parameters", tool.parameters());
            s.append('\n').append(line);
        }
        s.append("\n</tools>\nTo call one, answer with <tool_call>{\"name\": <function-name>, \"arguments\": "
                + "<args-json-object>}</tool_call>");
        return s.toString();
    }

    private static List<ChatMessage> withToolSection(List<ChatMessage> messages, List<ToolSpec> tools) {
        List<ChatMessage> out = new ArrayList<>(messages);
        String section = toolSection(tools);
        if (!out.isEmpty() && out.get(0).role() == ChatMessage.Role.SYSTEM) {
            String system = out.get(0).content();
            out.set(0, ChatMessage.system(system.isEmpty() ? section : system + "\n\n" + section));
        } else {
            out.add(0, ChatMessage.system(section));
        }
        return out;
    }

    /** Tool calls and results as plain text messages, for formats that cannot render them. */
    static List<ChatMessage> historyAsText(List<ChatMessage> messages) {
        List<ChatMessage> out = new ArrayList<>(messages.size());
        StringBuilder results = null;
        for (ChatMessage m : messages) {
            if (m.role() == ChatMessage.Role.TOOL) {
                results = results == null ? new StringBuilder() : results.append('\n');
                results.append("<tool_response>\n").append(m.content()).append("\n</tool_response>");
                continue;
            }
            if (results != null) {
                out.add(ChatMessage.user(results.toString()));
                results = null;
            }
            if (m.toolCalls().isEmpty()) {
                out.add(m);
                continue;
            }
            StringBuilder text = new StringBuilder(m.content());
            for (ToolCall call : m.toolCalls()) {
                if (text.length() > 0) {
                    text.append('\n');
                }
                text.append("<tool_call>\n").append(callJson(call)).append("\n</tool_call>");
            }
            out.add(ChatMessage.assistant(text.toString()));
        }
        if (results != null) {
            out.add(ChatMessage.user(results.toString()));
        }
        return out;
    }

    private static String callJson(ToolCall call) {
        var node = JSON.createObjectNode();
        node.put("name", call.name());
        try {
            node.set("arguments", JSON.readTree(call.arguments()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            node.put("arguments", call.arguments());
        }
        return node.toString();
    }
}
