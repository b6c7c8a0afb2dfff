package dev.assistant.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.CallerKey;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.ChatRequest;
import dev.assistant.core.structured.ResponseFormat;
import dev.assistant.core.GenerateRequest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RequestParserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RequestParser parser = new RequestParser(Duration.ofSeconds(30));

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void mapsTheUsualChatParameters() throws Exception {
        ApiCall<ChatRequest> call = parser.chat(json("""
                {"model":"m","messages":[{"role":"developer","content":"be brief"},
                  {"role":"user","content":[{"type":"text","text":"hel"},{"type":"text","text":"lo"}]},
                  {"role":"assistant","content":"hi"},{"role":"user","content":"again"}],
                 "max_completion_tokens":7,"temperature":0.5,"top_p":0.9,"seed":42,"stop":["x","y"],"n":1,
                 "user":"u","stream":true,"stream_options":{"include_usage":true},"presence_penalty":0}"""),
                CallerKey.of("k"));
        assertThat(call.model()).isEqualTo("m");
        assertThat(call.stream()).isTrue();
        assertThat(call.includeUsage()).isTrue();
        ChatRequest r = call.request();
        assertThat(r.messages()).containsExactly(ChatMessage.system("be brief"), ChatMessage.user("hello"),
                ChatMessage.assistant("hi"), ChatMessage.user("again"));
        assertThat(r.options().maxNewTokens()).isEqualTo(7);
        assertThat(r.options().sampling().temperature()).isEqualTo(0.5);
        assertThat(r.options().sampling().topP()).isEqualTo(0.9);
        assertThat(r.options().sampling().seed()).hasValue(42);
        assertThat(r.options().stopStrings()).containsExactly("x", "y");
        assertThat(r.options().timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.callerKey()).isNotNull();
    }

    @Test
    void mapsToolsChoicesToolCallsAndToolResults() throws Exception {
        ChatRequest r = parser.chat(json("""
                {"model":"m","messages":[{"role":"user","content":"weather?"},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                    "function":{"name":"weather","arguments":"{\\"city\\":\\"Oslo\\"}"}}]},
                  {"role":"tool","tool_call_id":"call_1","content":"sunny"}],
                 "tools":[{"type":"function","function":{"name":"weather","description":"d",
                    "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
                 "tool_choice":{"type":"function","function":{"name":"weather"}},"parallel_tool_calls":false}"""),
                null).request();
        assertThat(r.tools()).extracting(dev.assistant.core.tools.ToolSpec::name).containsExactly("weather");
        assertThat(r.tools().get(0).parameters().at("/properties/city/type").asText()).isEqualTo("string");
        assertThat(r.toolChoice()).isEqualTo(dev.assistant.core.tools.ToolChoice.function("weather"));
        assertThat(r.parallelToolCalls()).isFalse();
        assertThat(r.messages().get(1).toolCalls()).containsExactly(
                new dev.assistant.core.tools.ToolCall("call_1", "weather", "{\"city\":\"Oslo\"}"));
        assertThat(r.messages().get(1).content()).isEmpty();
        assertThat(r.messages().get(2)).isEqualTo(ChatMessage.tool("call_1", "sunny"));
    }

    @Test
    void defaultsFollowOpenAi() throws Exception {
        ChatRequest r = parser.chat(json("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), null)
                .request();
        assertThat(r.options().sampling().temperature()).isEqualTo(1.0);
        assertThat(r.options().stopStrings()).isEmpty();
        assertThat(r.callerKey()).isNull();
    }

    @Test
    void completionPromptsAsTextOrTokenIds() throws Exception {
        GenerateRequest text = parser.completion(json("{\"model\":\"m\",\"prompt\":[\"Once\"],\"max_tokens\":3,\"stop\":\"\\n\"}"), null)
                .request();
        assertThat(text.prompt()).isEqualTo("Once");
        assertThat(text.options().stopStrings()).containsExactly("\n");
        GenerateRequest ids = parser.completion(json("{\"model\":\"m\",\"prompt\":[1,2,3]}"), null).request();
        assertThat(ids.inputIds()).containsExactly(1, 2, 3);
    }

    @Test
    void rejectsWhatItCannotHonourNamingTheParameter() throws Exception {
        String msg = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        assertParam("{" + msg + "}", "model");
        assertParam("{\"model\":\"m\"}", "messages");
        assertParam("{\"model\":\"m\",\"messages\":[]}", "messages");
        assertParam("{\"model\":\"m\",\"messages\":[{\"role\":\"function\",\"content\":\"x\"}]}", "messages[0].role");
        assertParam("{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].tool_call_id");
        assertParam("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null}]}", "messages[0].content");
        assertParam("{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":1}]}]}",
                "messages[0].tool_calls[0]");
        assertParam("{\"model\":\"m\"," + msg + ",\"tool_choice\":\"sometimes\"}", "tool_choice");
        assertParam("{\"model\":\"m\"," + msg + ",\"parallel_tool_calls\":\"yes\"}", "parallel_tool_calls");
        assertParam("{\"model\":\"m\"," + msg + ",\"functions\":[]}", "functions");
        assertParam("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
                "messages[0].content");
        assertParam("{\"model\":\"m\"," + msg + ",\"n\":17}", "n");
        assertParam("{\"model\":\"m\"," + msg + ",\"n\":0}", "n");
        assertParam("{\"model\":\"m\"," + msg + ",\"temperature\":2.5}", "temperature");
        assertParam("{\"model\":\"m\"," + msg + ",\"top_p\":0}", "top_p");
        assertParam("{\"model\":\"m\"," + msg + ",\"max_tokens\":0}", "max_tokens");
        assertParam("{\"model\":\"m\"," + msg + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop");
        assertParam("{\"model\":\"m\"," + msg + ",\"stop\":\"\"}", "stop");
        assertParam("{\"model\":\"m\"," + msg + ",\"frequency_penalty\":2.5}", "frequency_penalty");
        assertParam("{\"model\":\"m\"," + msg + ",\"presence_penalty\":-3}", "presence_penalty");
        assertParam("{\"model\":\"m\"," + msg + ",\"logprobs\":\"yes\"}", "logprobs");
        assertParam("{\"model\":\"m\"," + msg + ",\"top_logprobs\":3}", "top_logprobs");
        assertParam("{\"model\":\"m\"," + msg + ",\"logprobs\":true,\"top_logprobs\":21}", "top_logprobs");
        assertParam("{\"model\":\"m\"," + msg + ",\"logit_bias\":{\"5\":101}}", "logit_bias");
        assertParam("{\"model\":\"m\"," + msg + ",\"logit_bias\":{\"x\":1}}", "logit_bias");
        assertParam("{\"model\":\"m\"," + msg + ",\"logit_bias\":{\"-1\":1}}", "logit_bias");
        assertParam("{\"model\":\"m\"," + msg + ",\"response_format\":{\"type\":\"xml\"}}", "response_format.type");
        assertParam("{\"model\":\"m\"," + msg + ",\"response_format\":{\"type\":\"json_schema\"}}",
                "response_format.json_schema");
        assertParam("{\"model\":\"m\"," + msg + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                + "{\"name\":\"p\",\"strict\":true,\"schema\":{\"type\":\"string\",\"pattern\":\"a\"}}}}",
                "response_format.json_schema");
        assertParam("{\"model\":\"m\"," + msg + ",\"tools\":[{\"type\":\"function\"}]}", "tools[0].function");
        assertParam("{\"model\":\"m\"," + msg + ",\"stream\":\"yes\"}", "stream");
        assertParam("{\"model\":\"m\"," + msg + ",\"seed\":1.5}", "seed");
        ApiException notObject = catchThrowableOfType(ApiException.class, () -> parser.chat(json("[]"), null));
        assertThat(notObject.error().status()).isEqualTo(400);
    }

    @Test
    void mapsSamplingFeaturesAndResponseFormats() throws Exception {
        ChatRequest r = parser.chat(json("""
                {"model":"m","messages":[{"role":"user","content":"hi"}],"n":3,"presence_penalty":0.5,
                 "frequency_penalty":-0.25,"logit_bias":{"7":-100,"12":2.5},"logprobs":true,"top_logprobs":4,
                 "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,
                   "schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],
                             "additionalProperties":false}}}}"""), null).request();
        assertThat(r.options().n()).isEqualTo(3);
        assertThat(r.options().sampling().presencePenalty()).isEqualTo(0.5);
        assertThat(r.options().sampling().frequencyPenalty()).isEqualTo(-0.25);
        assertThat(r.options().sampling().logitBias()).containsEntry(7, -100.0).containsEntry(12, 2.5);
        assertThat(r.options().logprobs()).isTrue();
        assertThat(r.options().topLogprobs()).isEqualTo(4);
        assertThat(r.options().responseFormat().type()).isEqualTo(ResponseFormat.Type.JSON_SCHEMA);
        assertThat(r.options().responseFormat().name()).contains("person");
        assertThat(r.options().responseFormat().strict()).isTrue();

        ChatRequest object = parser.chat(json("""
                {"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}"""),
                null).request();
        assertThat(object.options().responseFormat()).isEqualTo(ResponseFormat.jsonObject());

        GenerateRequest legacy = parser.completion(json("""
                {"model":"m","prompt":"Once","logprobs":3,"n":2}"""), null).request();
        assertThat(legacy.options().logprobs()).isTrue();
        assertThat(legacy.options().topLogprobs()).isEqualTo(3);
        assertThat(legacy.options().n()).isEqualTo(2);
    }

    private void assertParam(String body, String param) throws Exception {
        JsonNode node = json(body);
        ApiException e = catchThrowableOfType(ApiException.class, () -> parser.chat(node, null));
        assertThat(e).as(body).isNotNull();
        assertThat(e.error().status()).isEqualTo(400);
        assertThat(e.error().type()).isEqualTo("invalid_request_error");
        assertThat(e.error().param()).isEqualTo(param);
    }
}
