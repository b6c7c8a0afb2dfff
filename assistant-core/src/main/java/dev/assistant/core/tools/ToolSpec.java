package dev.assistant.core.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.regex.Pattern;

/**
 * A function the model may call: its name, what it does, and a JSON Schema of its arguments (an object schema, as
 * OpenAI and HuggingFace's {@code tools} expect). Immutable: the schema is copied in and out.
 *
 * @param name        1 to 64 letters, digits, {@code _} or {@code -}
 * @param description what the function does, for the model (may be empty)
 * @param parameters  a JSON Schema of type object; {@code null} means no arguments
 */
public record ToolSpec(String name, String description, JsonNode parameters) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public ToolSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST,
                    "a tool name must be 1 to 64 letters, digits, '_' or '-', was " + quoted(name));
        }
        description = description == null ? "" : description;
        if (parameters == null || parameters.isNull()) {
            parameters = emptyObjectSchema();
        } else if (!parameters.isObject()) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST,
                    "the parameters of tool '" + name + "' must be a JSON Schema object");
        } else {
            parameters = parameters.deepCopy();
        }
    }

    /** A tool with a name, description and parameter schema. */
    public static ToolSpec of(String name, String description, JsonNode parameters) {
        return new ToolSpec(name, description, parameters);
    }

    @Override
    public JsonNode parameters() {
        return parameters.deepCopy();
    }

    /** The OpenAI / HuggingFace shape: {@code {"type":"function","function":{"name","description","parameters"}}}. */
    public ObjectNode toFunctionJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("type", "function");
        ObjectNode function = root.putObject("function");
        function.put("name", name);
        function.put("description", description);
        function.set("parameters", parameters.deepCopy());
        return root;
    }

    private static ObjectNode emptyObjectSchema() {
        ObjectNode schema = JsonNodeFactory.instance.objectNode();
        schema.put("type", "object");
        schema.putObject("properties");
        return schema;
    }

    private static String quoted(String s) {
        return s == null ? "null" : "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
    }
}
