package dev.assistant.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assistant.api.AssistantException;
import dev.assistant.core.CallerKey;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.GenerationOptions;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.structured.ResponseFormat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns OpenAI request bodies into assistant requests, rejecting with a 400 (and the offending {@code param})
 * anything this server cannot honour rather than silently ignoring it.
 *
 * <p>Supported: {@code model}, {@code messages} (roles {@code system}/{@code developer}/{@code user}/
 * {@code assistant} (with {@code tool_calls})/{@code tool}; content a string or text parts), {@code tools}
 * (functions), {@code tool_choice}, {@code parallel_tool_calls}, {@code prompt} (string, one-element array or token ids),
 * {@code max_tokens}/{@code max_completion_tokens}, {@code temperature} (0-2, default 1 as in OpenAI),
 * {@code top_p}, {@code stop} (string or up to 4 strings), {@code seed}, {@code n} (1-16), {@code user}
 * (accepted, not used), {@code stream}, {@code stream_options.include_usage}, {@code presence_penalty} and
 * {@code frequency_penalty} (-2 to 2), {@code logit_bias} (token id to -100..100), {@code response_format}
 * ({@code text}, {@code json_object}, {@code json_schema} with {@code strict}), and log-probabilities: chat's
 * {@code logprobs} + {@code top_logprobs} (0-20), the legacy completions' integer {@code logprobs} (0-5).
 */
public final class RequestParser {
    /** OpenAI's default sampling temperature, used when the request gives none. */
    public static final double DEFAULT_TEMPERATURE = 1.0;
    private static final int MAX_STOPS = 4;
    private static final Set<String> IGNORED_TRUE_FALSE = Set.of("echo");
    /** The legacy completions API's limit on {@code logprobs}. */
    private static final int MAX_LEGACY_LOGPROBS = 5;
    /**
     * OpenAI fields this server cannot honour in any form: present (other than {@code null} or empty), the request
     * is a 400 naming the field rather than an answer that silently ignores it. A field leaves this list when it
     * is implemented.
     */
    static final List<String> UNSUPPORTED = List.of("best_of");

    private final Duration requestTimeout;

    /** @param requestTimeout the timeout every request runs with (queueing included) */
    public RequestParser(Duration requestTimeout) {
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    /** Parses a {@code /v1/chat/completions} body. {@code key} may be null (no Authorization header). */
    public ApiCall<ChatRequest> chat(JsonNode body, CallerKey key) {
        requireObject(body);
        ChatRequest.Builder b = ChatRequest.builder();
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw bad("messages", "'messages' must be a non-empty array of {role, content} objects.");
        }
        for (int i = 0; i < messages.size(); i++) {
            b.message(message(messages.get(i), i));
        }
        ToolRequests.apply(body, b);
        Common c = common(body, "max_completion_tokens", "max_tokens");
        chatLogprobs(body, b);
        try {
            c.applyTo(b);
            b.timeout(requestTimeout);
            if (key != null) {
                b.callerKey(key);
            }
            return new ApiCall<>(c.model, c.stream, c.includeUsage, b.build());
        } catch (AssistantException e) {
            throw new ApiException(ApiError.from(e));
        }
    }

    /** Parses a {@code /v1/completions} body. {@code key} may be null. */
    public ApiCall<GenerateRequest> completion(JsonNode body, CallerKey key) {
        requireObject(body);
        GenerateRequest.Builder b = GenerateRequest.builder();
        JsonNode prompt = body.get("prompt");
        if (prompt != null && prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            prompt = prompt.get(0);
        }
        if (prompt != null && prompt.isTextual()) {
            if (prompt.asText().isEmpty()) {
                throw bad("prompt", "'prompt' must not be empty.");
            }
            b.prompt(prompt.asText());
        } else if (prompt != null && prompt.isArray() && !prompt.isEmpty() && allInts(prompt)) {
            int[] ids = new int[prompt.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = prompt.get(i).intValue();
            }
            b.inputIds(ids);
        } else {
            throw bad("prompt", "'prompt' must be a string, a one-element array of strings or an array of token ids.");
        }
        JsonNode suffix = body.get("suffix");
        if (suffix != null && !suffix.isNull() && !suffix.asText().isEmpty()) {
            throw bad("suffix", "'suffix' is not supported.");
        }
        Common c = common(body, "max_tokens");
        legacyLogprobs(body, b);
        try {
            c.applyTo(b);
            b.timeout(requestTimeout);
            if (key != null) {
                b.callerKey(key);
            }
            return new ApiCall<>(c.model, c.stream, c.includeUsage, b.build());
        } catch (AssistantException e) {
            throw new ApiException(ApiError.from(e));
        }
    }

    private record Common(String model, int maxTokens, SamplingParams sampling, List<String> stops, boolean stream,
                          boolean includeUsage, int n, ResponseFormat format) {
        void applyTo(ChatRequest.Builder b) {
            b.maxNewTokens(maxTokens).sampling(sampling).stop(stops.toArray(String[]::new)).n(n).responseFormat(format);
        }

        void applyTo(GenerateRequest.Builder b) {
            b.maxNewTokens(maxTokens).sampling(sampling).stop(stops.toArray(String[]::new)).n(n).responseFormat(format);
        }
    }

    /** Chat: {@code logprobs} (boolean) and {@code top_logprobs} (0-20). */
    private static void chatLogprobs(JsonNode body, ChatRequest.Builder b) {
        boolean logprobs = bool(body, "logprobs");
        JsonNode top = body.get("top_logprobs");
        int n = 0;
        if (top != null && !top.isNull()) {
            if (!top.isIntegralNumber() || top.intValue() < 0 || top.intValue() > GenerationOptions.MAX_TOP_LOGPROBS) {
                throw bad("top_logprobs", "'top_logprobs' must be an integer from 0 to "
                        + GenerationOptions.MAX_TOP_LOGPROBS + ".");
            }
            if (!logprobs) {
                throw bad("top_logprobs", "'top_logprobs' requires 'logprobs' to be true.");
            }
            n = top.intValue();
        }
        if (logprobs) {
            b.logprobs(n);
        }
    }

    /** Legacy completions: {@code logprobs} is how many top alternatives to return (0-5), or null for none. */
    private static void legacyLogprobs(JsonNode body, GenerateRequest.Builder b) {
        JsonNode logprobs = body.get("logprobs");
        if (logprobs == null || logprobs.isNull()) {
            return;
        }
        if (!logprobs.isIntegralNumber() || logprobs.intValue() < 0 || logprobs.intValue() > MAX_LEGACY_LOGPROBS) {
            throw bad("logprobs", "'logprobs' must be an integer from 0 to " + MAX_LEGACY_LOGPROBS + ".");
        }
        b.logprobs(logprobs.intValue());
    }

    private static Common common(JsonNode body, String... maxTokenFields) {
        rejectUnsupported(body);
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw bad("model", "You must provide a model parameter.");
        }
        int maxTokens = dev.assistant.core.GenerationOptions.DEFAULT_MAX_NEW_TOKENS;
        for (String field : maxTokenFields) {
            JsonNode n = body.get(field);
            if (n != null && !n.isNull()) {
                if (!n.canConvertToInt() || !n.isIntegralNumber() || n.intValue() < 1) {
                    throw bad(field, "'" + field + "' must be an integer of at least 1.");
                }
                maxTokens = n.intValue();
                break;
            }
        }
        SamplingParams.Builder sampling = SamplingParams.builder();
        double temperature = number(body, "temperature", 0, 2, DEFAULT_TEMPERATURE);
        double topP = number(body, "top_p", Double.MIN_VALUE, 1, 1);
        try {
            sampling.temperature(temperature).topP(topP);
        } catch (AssistantException e) {
            throw bad("temperature", e.getMessage());
        }
        JsonNode seed = body.get("seed");
        if (seed != null && !seed.isNull()) {
            if (!seed.isIntegralNumber() || !seed.canConvertToLong()) {
                throw bad("seed", "'seed' must be an integer.");
            }
            sampling.seed(seed.longValue());
        }
        JsonNode nNode = body.get("n");
        int n = 1;
        if (nNode != null && !nNode.isNull()) {
            if (!nNode.isIntegralNumber() || nNode.intValue() < 1 || nNode.intValue() > GenerationOptions.MAX_CHOICES) {
                throw bad("n", "'n' must be an integer from 1 to " + GenerationOptions.MAX_CHOICES + ".");
            }
            n = nNode.intValue();
        }
        JsonNode user = body.get("user");
        if (user != null && !user.isNull() && !user.isTextual()) {
            throw bad("user", "'user' must be a string.");
        }
        sampling.presencePenalty(number(body, "presence_penalty", -2, 2, 0));
        sampling.frequencyPenalty(number(body, "frequency_penalty", -2, 2, 0));
        sampling.logitBias(logitBias(body.get("logit_bias")));
        for (String flag : IGNORED_TRUE_FALSE) {
            JsonNode f = body.get(flag);
            if (f != null && !f.isNull() && !(f.isBoolean() && !f.booleanValue())) {
                throw bad(flag, "'" + flag + "' is not supported.");
            }
        }
        ResponseFormat format = responseFormat(body.get("response_format"));
        boolean stream = bool(body, "stream");
        boolean includeUsage = false;
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw bad("stream_options", "'stream_options' must be an object.");
            }
            includeUsage = bool(options, "include_usage");
        }
        return new Common(model.asText(), maxTokens, sampling.build(), stops(body.get("stop")), stream, includeUsage,
                n, format);
    }

    /** {@code logit_bias}: an object from token ids (as strings) to biases in [-100, 100]. */
    private static Map<Integer, Double> logitBias(JsonNode bias) {
        Map<Integer, Double> out = new HashMap<>();
        if (bias == null || bias.isNull()) {
            return out;
        }
        if (!bias.isObject()) {
            throw bad("logit_bias", "'logit_bias' must be an object from token ids to numbers from -100 to 100.");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = bias.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw bad("logit_bias", "'logit_bias' keys must be token ids, was '" + e.getKey() + "'.");
            }
            JsonNode v = e.getValue();
            if (id < 0 || !v.isNumber() || !(v.doubleValue() >= -100 && v.doubleValue() <= 100)) {
                throw bad("logit_bias", "'logit_bias' maps token ids (>= 0) to numbers from -100 to 100.");
            }
            out.put(id, v.doubleValue());
        }
        return out;
    }

    /** {@code response_format}: text, json_object, or json_schema {name, schema, strict}. */
    private static ResponseFormat responseFormat(JsonNode format) {
        if (format == null || format.isNull()) {
            return ResponseFormat.text();
        }
        if (!format.isObject()) {
            throw bad("response_format", "'response_format' must be an object with a 'type'.");
        }
        String type = format.path("type").asText("");
        switch (type) {
            case "text":
                return ResponseFormat.text();
            case "json_object":
                return ResponseFormat.jsonObject();
            case "json_schema":
                JsonNode spec = format.get("json_schema");
                if (spec == null || !spec.isObject()) {
                    throw bad("response_format.json_schema", "'json_schema' must be an object with 'name' and 'schema'.");
                }
                JsonNode schema = spec.get("schema");
                if (schema == null || schema.isNull()) {
                    schema = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(); // any JSON
                }
                JsonNode strict = spec.get("strict");
                if (strict != null && !strict.isNull() && !strict.isBoolean()) {
                    throw bad("response_format.json_schema.strict", "'strict' must be a boolean.");
                }
                try {
                    return ResponseFormat.jsonSchema(spec.path("name").asText(""), schema,
                            strict != null && strict.asBoolean(false));
                } catch (AssistantException e) {
                    throw bad("response_format.json_schema", e.getMessage());
                }
            default:
                throw bad("response_format.type", "'response_format.type' must be 'text', 'json_object' or "
                        + "'json_schema'.");
        }
    }

    private static ChatMessage message(JsonNode m, int index) {
        String param = "messages[" + index + "]";
        if (m == null || !m.isObject()) {
            throw bad(param, "Each message must be an object with 'role' and 'content'.");
        }
        String role = m.path("role").asText("");
        JsonNode contentNode = m.get("content");
        String text = contentNode == null || contentNode.isNull() ? null : content(contentNode, param + ".content");
        return switch (role) {
            case "system", "developer" -> new ChatMessage(ChatMessage.Role.SYSTEM, required(text, param));
            case "user" -> new ChatMessage(ChatMessage.Role.USER, required(text, param));
            case "assistant" -> ToolRequests.assistant(m, text, param);
            case "tool" -> ToolRequests.toolResult(m, text, param);
            default -> throw bad(param + ".role", "Unsupported role '" + role
                    + "': use system, developer, user, assistant or tool.");
        };
    }

    private static String required(String text, String param) {
        if (text == null) {
            throw bad(param + ".content", "Message content must be a string or an array of text parts.");
        }
        return text;
    }

    private static String content(JsonNode content, String param) {
        if (content != null && content.isTextual()) {
            return content.asText();
        }
        if (content != null && content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw bad(param, "Only text content parts are supported.");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw bad(param, "Message content must be a string or an array of text parts.");
    }

    private static List<String> stops(JsonNode stop) {
        List<String> stops = new ArrayList<>();
        if (stop == null || stop.isNull()) {
            return stops;
        }
        if (stop.isTextual()) {
            stops.add(stop.asText());
        } else if (stop.isArray() && stop.size() <= MAX_STOPS) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw bad("stop", "'stop' must be a string or an array of up to 4 strings.");
                }
                stops.add(s.asText());
            }
        } else {
            throw bad("stop", "'stop' must be a string or an array of up to 4 strings.");
        }
        if (stops.stream().anyMatch(String::isEmpty)) {
            throw bad("stop", "Stop sequences must not be empty.");
        }
        return stops;
    }

    private static double number(JsonNode body, String field, double min, double max, double dflt) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isNumber() || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
            throw bad(field, "'" + field + "' must be a number from " + (min == Double.MIN_VALUE ? "above 0" : min)
                    + " to " + max + ".");
        }
        return n.doubleValue();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw bad(field, "'" + field + "' must be a boolean.");
        }
        return n.booleanValue();
    }

    private static boolean allInts(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0) {
                return false;
            }
        }
        return true;
    }

    private static void rejectUnsupported(JsonNode body) {
        for (String field : UNSUPPORTED) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull() && !(value.isContainerNode() && value.isEmpty())) {
                throw bad(field, "'" + field + "' is not supported by this server.");
            }
        }
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw bad(null, "The request body must be a JSON object.");
        }
    }

    private static ApiException bad(String param, String message) {
        return new ApiException(ApiError.invalid(param, message));
    }
}
