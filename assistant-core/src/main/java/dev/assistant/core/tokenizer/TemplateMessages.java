package dev.assistant.core.tokenizer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.tools.ToolCall;
import dev.assistant.core.tools.ToolSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Messages and tools as the plain maps and lists a Jinja chat template reads, in HuggingFace's shapes. */
final class TemplateMessages {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {
    };

    private TemplateMessages() {
    }

    static List<Map<String, Object>> of(List<ChatMessage> messages) {
        Map<String, String> toolNames = new HashMap<>();
        List<Map<String, Object>> maps = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            if (m == null) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "chat messages must not be null");
            }
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role().templateName());
            map.put("content", m.content());
            if (!m.toolCalls().isEmpty()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (ToolCall call : m.toolCalls()) {
                    toolNames.put(call.id(), call.name());
                    calls.add(toolCall(call));
                }
                map.put("tool_calls", calls);
            }
            if (m.toolCallId() != null) {
                map.put("tool_call_id", m.toolCallId());
                String name = toolNames.get(m.toolCallId());
                if (name != null) {
                    map.put("name", name);
                }
            }
            maps.add(map);
        }
        return maps;
    }

    static List<Map<String, Object>> tools(List<ToolSpec> tools) {
        List<Map<String, Object>> out = new ArrayList<>(tools.size());
        for (ToolSpec tool : tools) {
            out.add(JSON.convertValue(tool.toFunctionJson(), MAP));
        }
        return out;
    }

    /** HF's shape; arguments as a mapping (templates print them with {@code tojson}), as text when they do not parse. */
    private static Map<String, Object> toolCall(ToolCall call) {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", call.name());
        function.put("arguments", arguments(call.arguments()));
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", call.id());
        map.put("type", "function");
        map.put("function", function);
        return map;
    }

    private static Object arguments(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node != null && node.isObject()) {
                return JSON.convertValue(node, MAP);
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // the model's own malformed arguments, sent back as they were
        }
        return text;
    }
}
