package dev.assistant.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.testing.SharedModels;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Renders well-known HF chat templates (test resources; Qwen3's from the shared tokenizer) and compares with the
 * strings transformers' {@code apply_chat_template} produces. The expected strings in
 * {@code chat_template_cases.json} were rendered by {@code render_ref.py} (next to it) with jinja2 configured exactly
 * as transformers configures it; a few are also spelled out by hand below.
 */
class ChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** render_ref.py's strftime_now time: 2025-03-07 10:15:30. */
    static final Clock FIXED = Clock.fixed(Instant.parse("2025-03-07T10:15:30Z"), ZoneOffset.UTC);

    @TestFactory
    Stream<DynamicTest> rendersLikeTransformers() throws IOException {
        JsonNode root;
        try (InputStream in = resource("chat_template_cases.json")) {
            root = JSON.readTree(in);
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            String template = c.get("template").asText();
            String name = template + "/" + c.get("conversation").asText() + (c.get("add_generation_prompt").asBoolean() ? "+gen" : "");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                ChatTemplate.Builder builder = ChatTemplate.builder(templateSource(template)).clock(FIXED);
                for (Iterator<Map.Entry<String, JsonNode>> it = c.get("special_tokens").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    builder.specialToken(e.getKey(), e.getValue().asText());
                }
                ChatTemplate chat = builder.build();
                List<ChatMessage> messages = messages(c.get("messages"));
                boolean gen = c.get("add_generation_prompt").asBoolean();
                if (c.has("expected_error")) {
                    assertThatThrownBy(() -> chat.render(messages, gen))
                            .isInstanceOfSatisfying(AssistantException.class, e -> {
                                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                                assertThat(e.getMessage()).isEqualTo(c.get("expected_error").asText());
                            });
                } else {
                    assertThat(chat.render(messages, gen)).isEqualTo(c.get("expected").asText());
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void handWrittenExpectations() {
        List<ChatMessage> conversation = List.of(ChatMessage.system("You are a bot."), ChatMessage.user("Hi there"));
        assertThat(template("chatml", "<|im_start|>", "<|im_end|>").render(conversation, true)).isEqualTo(
                "<|im_start|>system\nYou are a bot.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
        assertThat(template("llama2", "<s>", "</s>").render(conversation, true))
                .isEqualTo("<s>[INST] <<SYS>>\nYou are a bot.\n<</SYS>>\n\nHi there [/INST]");
        assertThat(template("llama3", "<|begin_of_text|>", "<|eot_id|>").render(conversation, true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a bot.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(template("zephyr", "<s>", "</s>").render(conversation, true))
                .isEqualTo("<|system|>\nYou are a bot.</s>\n<|user|>\nHi there</s>\n<|assistant|>\n");
        assertThat(template("mistral-v0.1", "<s>", "</s>").render(List.of(ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello"), ChatMessage.user("Bye")), false)).isEqualTo("<s>[INST] Hi [/INST]Hello</s>[INST] Bye [/INST]");
        assertThat(template("smollm", "<|im_start|>", "<|im_end|>").render(List.of(ChatMessage.user("Hi")), false)).isEqualTo(
                "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                        + "<|im_start|>user\nHi<|im_end|>\n");
    }

    @Test
    void raiseExceptionIsAnInvalidRequestWithTheTemplatesMessage() {
        ChatTemplate mistral = template("mistral-v0.1", "<s>", "</s>");
        assertThatThrownBy(() -> mistral.render(List.of(ChatMessage.system("s"), ChatMessage.user("u")), true))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                    assertThat(e.getMessage()).isEqualTo("Conversation roles must alternate user/assistant/user/assistant/...");
                });
    }

    @Test
    void messageContentIsNeverInterpretedAsTemplateCode() {
        ChatTemplate chatml = template("chatml", "<|im_start|>", "<|im_end|>");
        String content = "{{ 7*7 }} {% for x in range(3) %}x{% endfor %} {# c #} {{ raise_exception('no') }}";
        assertThat(chatml.render(List.of(ChatMessage.user(content)), false))
                .isEqualTo("<|im_start|>user\n" + content + "<|im_end|>\n");
    }

    @Test
    void strftimeNowReadsTheInjectedClockInItsZone() {
        Clock clock = Clock.fixed(Instant.parse("2024-12-31T23:30:00Z"), ZoneOffset.ofHours(2));
        ChatTemplate t = ChatTemplate.builder("{{ strftime_now('%d %b %Y %H:%M %A %j %-d %B %y %I%p') }}").clock(clock).build();
        assertThat(t.render(List.of(ChatMessage.user("x")), false)).isEqualTo("01 Jan 2025 01:30 Wednesday 001 1 January 25 01AM");
    }

    @Test
    void templateThatDoesNotParseIsModelInvalid() {
        assertThatThrownBy(() -> ChatTemplate.builder("{% for m in messages %}{{ m.content }}").build())
                .isInstanceOfSatisfying(AssistantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID));
        assertThatThrownBy(() -> ChatTemplate.builder("{{ messages[0].content.( }}").build())
                .isInstanceOfSatisfying(AssistantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID));
        assertThatThrownBy(() -> ChatTemplate.builder("  ").build())
                .isInstanceOfSatisfying(AssistantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID));
    }

    @Test
    void emptyConversationIsInvalidRequest() {
        ChatTemplate chatml = template("chatml", "<|im_start|>", "<|im_end|>");
        assertThatThrownBy(() -> chatml.render(List.of(), true))
                .isInstanceOfSatisfying(AssistantException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST));
    }

    @Test
    void toJsonFilterMatchesPythonJsonDumps() {
        ChatTemplate t = ChatTemplate.builder("{{ {'a': [1, 'é\"\\n', none, true]} | tojson }}|{{ ['x'] | tojson(indent=2) }}").build();
        assertThat(t.render(List.of(ChatMessage.user("x")), false))
                .isEqualTo("{\"a\": [1, \"é\\\"\\n\", null, true]}|[\n  \"x\"\n]");
    }

    @Test
    void qwen3RealTemplateRendersThinkingHistoryLikeTransformers() {
        Path dir = SharedModels.model("tokenizers/qwen3");
        try (ModelTokenizer tokenizer = ModelTokenizer.load(dir, FIXED)) {
            ChatTemplate t = tokenizer.chatTemplate().orElseThrow();
            String rendered = t.render(List.of(ChatMessage.user("Why?"),
                    ChatMessage.assistant("<think>\nponder\n</think>\n\nBecause."), ChatMessage.user("ok")), true);
            // history turns before the last user query lose their reasoning, as in transformers
            assertThat(rendered).isEqualTo("<|im_start|>user\nWhy?<|im_end|>\n<|im_start|>assistant\nBecause.<|im_end|>\n"
                    + "<|im_start|>user\nok<|im_end|>\n<|im_start|>assistant\n");
        }
    }

    static ChatTemplate template(String name, String bos, String eos) {
        return ChatTemplate.builder(templateSource(name)).bosToken(bos).eosToken(eos).clock(FIXED).build();
    }

    static String templateSource(String name) {
        if (name.equals("qwen3")) {
            try {
                JsonNode config = JSON.readTree(SharedModels.model("tokenizers/qwen3").resolve("tokenizer_config.json").toFile());
                return config.get("chat_template").asText();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (InputStream in = resource("templates/" + name + ".jinja")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = ChatTemplateTest.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("missing test resource " + name);
        }
        return in;
    }

    private static List<ChatMessage> messages(JsonNode array) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : array) {
            ChatMessage.Role role = ChatMessage.Role.valueOf(m.get("role").asText().toUpperCase(java.util.Locale.ROOT));
            out.add(new ChatMessage(role, m.get("content").asText()));
        }
        return out;
    }
}
