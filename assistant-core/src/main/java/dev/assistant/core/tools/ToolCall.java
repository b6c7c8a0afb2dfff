package dev.assistant.core.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

/**
 * One call of a tool by the model: the id that its result must quote, the tool's name and the arguments as JSON
 * text (as OpenAI carries them). Immutable.
 *
 * @param id        the call's id; a {@code tool} message answering it carries the same id
 * @param name      the tool's name
 * @param arguments the arguments as JSON text (an object); never null
 */
public record ToolCall(String id, String name, String arguments) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ToolCall {
        if (id == null || id.isBlank()) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "a tool call needs an id");
        }
        if (name == null || name.isBlank()) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "tool call '" + id + "' needs a function name");
        }
        arguments = arguments == null || arguments.isBlank() ? "{}" : arguments;
    }

    /**
     * The arguments parsed.
     *
     * @throws AssistantException INVALID_REQUEST when they are not valid JSON (a model answering in auto mode may
     *                            produce such; under a forced tool choice they always parse)
     */
    public JsonNode argumentsJson() {
        try {
            return JSON.readTree(arguments);
        } catch (JsonProcessingException e) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "the arguments of tool call '" + id
                    + "' are not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
