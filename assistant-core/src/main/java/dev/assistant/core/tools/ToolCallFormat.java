package dev.assistant.core.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.function.Predicate;

/**
 * How a model family writes tool calls in its output, chosen from the chat template and the tokenizer's tokens.
 *
 * <ul>
 *   <li>{@link #HERMES}: Hermes / Qwen, {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}, one block per
 *       call. Also the format the fallback prompt teaches to models whose template has no tool support.</li>
 *   <li>{@link #LLAMA3_JSON}: Llama 3.x JSON calls, {@code {"name": ..., "parameters": {...}}} as the whole answer,
 *       optionally after {@code <|python_tag|>}.</li>
 *   <li>{@link #MISTRAL}: {@code [TOOL_CALLS] [{"name": ..., "arguments": {...}}, ...]}.</li>
 * </ul>
 */
public enum ToolCallFormat {
    HERMES("<tool_call>", "</tool_call>", false, "arguments", "<tool_call>\n"),
    LLAMA3_JSON("<|python_tag|>", null, false, "parameters", ""),
    MISTRAL("[TOOL_CALLS]", null, true, "arguments", "[TOOL_CALLS]");

    private final String openMarker;
    private final String closeMarker;
    private final boolean arrayOfCalls;
    private final String argumentsKey;
    private final String forcedPrefix;

    ToolCallFormat(String openMarker, String closeMarker, boolean arrayOfCalls, String argumentsKey,
                   String forcedPrefix) {
        this.openMarker = openMarker;
        this.closeMarker = closeMarker;
        this.arrayOfCalls = arrayOfCalls;
        this.argumentsKey = argumentsKey;
        this.forcedPrefix = forcedPrefix;
    }

    /**
     * The format of a model: Mistral's {@code [TOOL_CALLS]}, Hermes' {@code <tool_call>} or Llama 3's
     * {@code <|python_tag|>}, whichever the template mentions or the vocabulary holds as a token (in that order);
     * {@link #HERMES} when none does.
     *
     * @param templateSource the chat template's source, or null when the model has none
     * @param isToken        whether a string is one token of the vocabulary
     */
    public static ToolCallFormat detect(String templateSource, Predicate<String> isToken) {
        for (ToolCallFormat f : List.of(MISTRAL, HERMES, LLAMA3_JSON)) {
            if ((templateSource != null && templateSource.contains(f.openMarker)) || isToken.test(f.openMarker)) {
                return f;
            }
        }
        return HERMES;
    }

    /** The text that starts a call (or, for Mistral, the list of calls). */
    public String openMarker() {
        return openMarker;
    }

    /** The text that ends one call, or null when a call ends with its JSON object. */
    public String closeMarker() {
        return closeMarker;
    }

    /** Whether the calls come as one JSON array after the marker (Mistral). */
    public boolean arrayOfCalls() {
        return arrayOfCalls;
    }

    /** The JSON key of the arguments in this format's call object. */
    public String argumentsKey() {
        return argumentsKey;
    }

    /** Whether the keys of a call object hold its arguments ({@code arguments}, also {@code parameters}). */
    boolean isArgumentsKey(String key) {
        return key.equals(argumentsKey) || key.equals("arguments") || key.equals("parameters");
    }

    /** Whether a bare JSON object at the very start of the answer is a call (Llama 3 writes no marker). */
    boolean acceptsBareObject() {
        return this == LLAMA3_JSON;
    }

    /**
     * What the prompt ends with when a call is forced: the model then writes only the JSON (constrained by
     * {@link #forcedSchema}). Empty for Llama 3, whose call is a bare object.
     */
    public String forcedPrefix() {
        return forcedPrefix;
    }

    /**
     * The JSON Schema of the JSON a forced call is generated under: this format's call object with {@code name}
     * fixed to one of {@code tools} and the arguments under that tool's parameters; for Mistral an array of such
     * objects (one, or one or more when {@code parallel}).
     */
    public ObjectNode forcedSchema(List<ToolSpec> tools, boolean parallel) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode call;
        if (tools.size() == 1) {
            call = callSchema(tools.get(0));
        } else {
            call = f.objectNode();
            ArrayNode anyOf = call.putArray("anyOf");
            tools.forEach(t -> anyOf.add(callSchema(t)));
        }
        if (!arrayOfCalls) {
            return call;
        }
        ObjectNode array = f.objectNode();
        array.put("type", "array");
        array.set("items", call);
        array.put("minItems", 1);
        if (!parallel) {
            array.put("maxItems", 1);
        }
        return array;
    }

    private ObjectNode callSchema(ToolSpec tool) {
        ObjectNode schema = JsonNodeFactory.instance.objectNode();
        schema.put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        properties.putObject("name").put("const", tool.name());
        JsonNode parameters = tool.parameters();
        properties.set(argumentsKey, parameters);
        schema.putArray("required").add("name").add(argumentsKey);
        schema.put("additionalProperties", false);
        return schema;
    }
}
