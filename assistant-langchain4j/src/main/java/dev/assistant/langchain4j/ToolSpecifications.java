package dev.assistant.langchain4j;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.tools.ToolSpec;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps tool descriptions both ways between LangChain4j's {@link ToolSpecification} (parameters as a
 * {@link JsonObjectSchema}) and the SDK's {@link ToolSpec} (parameters as JSON Schema). The schema conversion is
 * LangChain4j's own (the one its providers use to write OpenAI requests), so what the model sees is what an OpenAI
 * model would see. Stateless.
 */
public final class ToolSpecifications {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {
    };

    private ToolSpecifications() {
    }

    /** A LangChain4j tool as the SDK's; a tool without parameters gets an empty object schema. */
    public static ToolSpec toToolSpec(ToolSpecification tool) {
        JsonNode parameters = null;
        if (tool.parameters() != null) {
            parameters = JSON.valueToTree(JsonSchemaElementJsonUtils.toMap(tool.parameters()));
        }
        return ToolSpec.of(tool.name(), tool.description(), parameters);
    }

    /**
     * The SDK's tool as LangChain4j's.
     *
     * @throws AssistantException INVALID_REQUEST when the parameters are not an object schema LangChain4j can express
     */
    public static ToolSpecification toToolSpecification(ToolSpec tool) {
        Map<String, Object> schema = JSON.convertValue(tool.parameters(), MAP);
        JsonSchemaElement element;
        try {
            element = JsonSchemaElementJsonUtils.fromMap(schema);
        } catch (RuntimeException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "the parameters of tool '" + tool.name()
                    + "' cannot be expressed as a LangChain4j schema: " + e.getMessage(), e);
        }
        if (!(element instanceof JsonObjectSchema object)) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST,
                    "the parameters of tool '" + tool.name() + "' are not an object schema");
        }
        ToolSpecification.Builder b = ToolSpecification.builder().name(tool.name()).parameters(object);
        if (!tool.description().isEmpty()) {
            b.description(tool.description());
        }
        return b.build();
    }
}
