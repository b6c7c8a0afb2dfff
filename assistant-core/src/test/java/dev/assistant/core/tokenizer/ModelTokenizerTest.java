package dev.assistant.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.testing.SharedModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private ModelTokenizer gpt2;
    private ModelTokenizer llama2;

    @BeforeAll
    void load() {
        gpt2 = ModelTokenizer.load(SharedModels.model("tokenizers/gpt2"));
        llama2 = ModelTokenizer.load(SharedModels.model("tokenizers/llama2"));
    }

    @AfterAll
    void close() {
        if (gpt2 != null) {
            gpt2.close();
        }
        if (llama2 != null) {
            llama2.close();
        }
    }

    @Test
    void tenThousandTokenInputIsNotTruncated() {
        String text = " hello".repeat(10_000);
        int[] ids = gpt2.encode(text, true);
        assertThat(ids).hasSize(10_000);
        assertThat(gpt2.decode(ids, false)).isEqualTo(text);

        String words = "The quick brown fox jumps over the lazy dog. ".repeat(1_000);
        int[] llamaIds = llama2.encode(words, true);
        assertThat(llamaIds.length).isGreaterThan(10_000);
        assertThat(llamaIds[0]).isEqualTo(1);
        assertThat(llama2.decode(llamaIds, true)).isEqualTo(words);
    }

    @Test
    void specialTokensAndLookups() {
        SpecialTokens s = llama2.specialTokens();
        assertThat(s.bos().orElseThrow()).isEqualTo(new SpecialToken("<s>", java.util.OptionalInt.of(1)));
        assertThat(s.eos().orElseThrow().id()).hasValue(2);
        assertThat(s.unk().orElseThrow().content()).isEqualTo("<unk>");
        assertThat(s.pad()).isEmpty();
        assertThat(s.isSpecial(1)).isTrue();
        assertThat(s.isSpecial(450)).isFalse();
        assertThat(llama2.vocabSize()).isEqualTo(32_000);
        assertThat(llama2.tokenToId("▁the")).hasValue(278);
        assertThat(llama2.idToToken(278)).hasValue("▁the");
        assertThat(llama2.idToToken(32_000)).isEmpty();
        assertThat(llama2.chatTemplate()).isEmpty();

        assertThat(gpt2.vocabSize()).isEqualTo(50_257);
        assertThat(gpt2.tokenToId("<|endoftext|>")).hasValue(50_256);
        assertThat(gpt2.tokenToId("Ġthe")).hasValue(262);
        assertThat(gpt2.specialTokens().eos().orElseThrow().id()).hasValue(50_256);
        assertThat(gpt2.cleansUpTokenizationSpaces()).isTrue();
    }

    @Test
    void qwenHasNoBosAndItsOwnEos() {
        try (ModelTokenizer qwen = ModelTokenizer.load(SharedModels.model("tokenizers/qwen3"))) {
            assertThat(qwen.specialTokens().bos()).isEmpty();
            assertThat(qwen.specialTokens().eos().orElseThrow()).isEqualTo(new SpecialToken("<|im_end|>", java.util.OptionalInt.of(151_645)));
            assertThat(qwen.specialTokens().pad().orElseThrow().id()).hasValue(151_643);
            assertThat(qwen.vocabSize()).isEqualTo(151_669);
            int[] ids = qwen.encodeChat(List.of(ChatMessage.user("Hi")), true);
            assertThat(qwen.decode(ids, false)).isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
            assertThat(ids[0]).isEqualTo(151_644);
        }
    }

    @Test
    void specialTokensMapOverridesAndIsRead() {
        try (ModelTokenizer stories = ModelTokenizer.load(SharedModels.model("stories260K"))) {
            assertThat(stories.specialTokens().bos().orElseThrow().id()).hasValue(1);
            assertThat(stories.vocabSize()).isEqualTo(512);
            assertThat(stories.encode("", true)).containsExactly(1);
        }
    }

    @Test
    void cleanUpTokenizationSpacesLikeTransformersWhenConfigured() {
        int[] ids = gpt2.encode("Hello , world ! I 'm here . It is n't , is it ? Yes ' no ' ", false);
        assertThat(gpt2.decode(ids, false)).isEqualTo("Hello, world! I'm here. It isn't, is it? Yes'no'");
        GoldenTokenizationTest.assertStreamingMatches(gpt2, ids, false);
        int[] trailing = gpt2.encode("a ' b ' ", false);
        GoldenTokenizationTest.assertStreamingMatches(gpt2, trailing, false);
    }

    @Test
    void streamingEqualsDecodeOnRandomTrickyTexts() {
        String[] pieces = {" ", "  ", " '", " ' ", "'", " n't", "n", " 's", " 're", " 've", " 'm", " .", " ,", " ?", " !",
            "word", "\n", "🙂", "é", "日本", "<s>", "</s>", "<|endoftext|>", "\t", "x"};
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < 300; i++) {
            StringBuilder text = new StringBuilder();
            for (int k = random.nextInt(1, 12); k > 0; k--) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            for (ModelTokenizer t : List.of(gpt2, llama2)) {
                GoldenTokenizationTest.assertStreamingMatches(t, t.encode(text.toString(), false), false);
                GoldenTokenizationTest.assertStreamingMatches(t, t.encode(text.toString(), true), true);
            }
        }
    }

    @Test
    void streamingNeverEmitsHalfACharacterFromByteFallbackTokens() {
        String text = "emoji 🙂👍🏽 日本";
        int[] ids = llama2.encode(text, true);
        StreamingDecoder decoder = llama2.newStreamingDecoder(true);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(decoder.push(id));
        }
        assertThat(decoder.flush()).isEmpty();
        assertThat(String.join("", pieces)).isEqualTo(text);
        assertThat(pieces).noneMatch(p -> p.contains("\uFFFD"));
        assertThat(pieces.get(1)).as("no leading space on the first word").isEqualTo("em");
        // an incomplete character at the end is only released by flush, as U+FFFD, exactly like decode
        int[] partial = Arrays.copyOf(llama2.encode("🙂", false), 3);
        StreamingDecoder d2 = llama2.newStreamingDecoder(false);
        StringBuilder out = new StringBuilder();
        for (int id : partial) {
            out.append(d2.push(id));
        }
        assertThat(out.toString()).isEmpty();
        assertThat(out.append(d2.flush()).toString()).isEqualTo(llama2.decode(partial, false));
    }

    @Test
    void literalSpecialTokenTextBecomesTheSpecialId() {
        assertThat(gpt2.encode("a<|endoftext|>b", false)).contains(50_256);
        assertThat(llama2.encode("<s>x", false)[0]).isEqualTo(1);
    }

    @Test
    void badIdsAndTextAreInvalidRequests() {
        assertCode(() -> gpt2.decode(new int[] {50_257}, false), ErrorCode.INVALID_REQUEST);
        assertCode(() -> gpt2.decode(new int[] {-1}, false), ErrorCode.INVALID_REQUEST);
        assertCode(() -> gpt2.decode(null, false), ErrorCode.INVALID_REQUEST);
        assertCode(() -> gpt2.newStreamingDecoder(true).push(Integer.MAX_VALUE), ErrorCode.INVALID_REQUEST);
        assertCode(() -> gpt2.encode(null, false), ErrorCode.INVALID_REQUEST);
        assertCode(() -> gpt2.encode("x\uD800y", false), ErrorCode.INVALID_REQUEST);
        assertCode(() -> gpt2.encode("\uDC00", false), ErrorCode.INVALID_REQUEST);
        assertThat(gpt2.encode("ok \uD83D\uDE42 \u0000", false)).isNotEmpty();
        assertThat(gpt2.decode(new int[0], false)).isEmpty();
    }

    @Test
    void missingAndCorruptFilesAreReportedWithTheFileName(@TempDir Path tmp) throws IOException {
        assertCode(() -> ModelTokenizer.load(tmp.resolve("nope")), ErrorCode.MODEL_NOT_FOUND);
        assertThatThrownBy(() -> ModelTokenizer.load(tmp)).isInstanceOfSatisfying(AssistantException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
            assertThat(e.getMessage()).contains("tokenizer.json");
        });
        Files.writeString(tmp.resolve("tokenizer.json"), "{ not json");
        assertThatThrownBy(() -> ModelTokenizer.load(tmp)).isInstanceOfSatisfying(AssistantException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
            assertThat(e.getMessage()).contains("tokenizer.json");
        });
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": 7}}");
        assertThatThrownBy(() -> ModelTokenizer.load(tmp)).isInstanceOfSatisfying(AssistantException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
            assertThat(e.getMessage()).contains("tokenizer.json");
        });
        Files.copy(SharedModels.model("tokenizers/gpt2").resolve("tokenizer.json"), tmp.resolve("tokenizer.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(tmp.resolve("tokenizer_config.json"), "[1, 2");
        assertThatThrownBy(() -> ModelTokenizer.load(tmp)).isInstanceOfSatisfying(AssistantException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
            assertThat(e.getMessage()).contains("tokenizer_config.json");
        });
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"chat_template\": \"{% for m in messages %}\"}");
        assertCode(() -> ModelTokenizer.load(tmp), ErrorCode.MODEL_INVALID);
    }

    @Test
    void closedTokenizerFailsCleanly() {
        ModelTokenizer t = ModelTokenizer.load(SharedModels.model("tinystories-gpt2-mini"));
        assertThat(t.encode("Once upon a time", false)).isNotEmpty();
        t.close();
        t.close();
        assertCode(() -> t.encode("x", false), ErrorCode.ENGINE_UNAVAILABLE);
        assertCode(() -> t.decode(new int[] {1}, false), ErrorCode.ENGINE_UNAVAILABLE);
    }

    @Test
    void concurrentEncodeAndDecodeAgree() throws Exception {
        String text = "Once upon a time, there was a little girl named Lily. 🙂";
        int[] expected = llama2.encode(text, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    for (int k = 0; k < 200; k++) {
                        if (!Arrays.equals(llama2.encode(text, true), expected) || !llama2.decode(expected, true).equals(text)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void encodeChatNeverDoublesTheBos(@TempDir Path tmp) throws IOException {
        Files.copy(SharedModels.model("tokenizers/llama2").resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        ObjectNode config = (ObjectNode) JSON.readTree(SharedModels.model("tokenizers/llama2").resolve("tokenizer_config.json").toFile());
        config.put("chat_template", ChatTemplateTest.templateSource("llama2"));
        JSON.writeValue(tmp.resolve("tokenizer_config.json").toFile(), config);
        try (ModelTokenizer t = ModelTokenizer.load(tmp)) {
            List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"));
            String rendered = t.chatTemplate().orElseThrow().render(chat, true);
            assertThat(rendered).startsWith("<s>[INST] <<SYS>>");
            int[] ids = t.encodeChat(chat, true);
            assertThat(ids).containsExactly(t.encode(rendered, false));
            assertThat(ids[0]).isEqualTo(1);
            assertThat(ids[1]).isNotEqualTo(1);
            // legacy Llama: the text after a special token gets the "▁" prefix, as in transformers
            assertThat(t.decode(ids, true)).isEqualTo(rendered.substring("<s>".length()));
        }
        // no template: the plain format, encoded with the tokenizer's own BOS
        List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"));
        assertThat(llama2.chatFormat()).isSameAs(PlainChatFormat.instance());
        int[] plain = llama2.encodeChat(chat, true);
        assertThat(plain).containsExactly(llama2.encode("System: Be brief.\nUser: Hi\nAssistant:", true));
        assertThat(plain[0]).isEqualTo(1);
        assertThat(plain[1]).isNotEqualTo(1);
    }

    @Test
    void chatTemplateFileVariants(@TempDir Path tmp) throws IOException {
        Path gptJson = SharedModels.model("tinystories-gpt2-mini").resolve("tokenizer.json");
        String chatml = ChatTemplateTest.templateSource("chatml");
        String zephyr = ChatTemplateTest.templateSource("zephyr");
        List<ChatMessage> chat = List.of(ChatMessage.user("Hi"));

        Path named = Files.createDirectories(tmp.resolve("named"));
        Files.copy(gptJson, named.resolve("tokenizer.json"));
        ObjectNode config = JSON.createObjectNode().put("eos_token", "<|endoftext|>");
        config.putArray("chat_template").addObject().put("name", "tool_use").put("template", zephyr);
        ((com.fasterxml.jackson.databind.node.ArrayNode) config.get("chat_template")).addObject().put("name", "default").put("template", chatml);
        JSON.writeValue(named.resolve("tokenizer_config.json").toFile(), config);
        try (ModelTokenizer t = ModelTokenizer.load(named)) {
            assertThat(t.chatTemplateNames()).containsExactlyInAnyOrder("default", "tool_use");
            assertThat(t.chatTemplate().orElseThrow().render(chat, false)).isEqualTo("<|im_start|>user\nHi<|im_end|>\n");
            assertThat(t.chatTemplate("tool_use").orElseThrow().render(chat, false)).isEqualTo("<|user|>\nHi<|endoftext|>\n");
        }

        Path jinja = Files.createDirectories(tmp.resolve("jinja"));
        Files.copy(gptJson, jinja.resolve("tokenizer.json"));
        Files.writeString(jinja.resolve("tokenizer_config.json"), "{\"chat_template\": \"ignored {{ x }}\"}");
        Files.writeString(jinja.resolve("chat_template.jinja"), chatml + "\n", StandardCharsets.UTF_8);
        try (ModelTokenizer t = ModelTokenizer.load(jinja)) {
            assertThat(t.chatTemplate().orElseThrow().render(chat, true)).isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        }

        Path json = Files.createDirectories(tmp.resolve("json"));
        Files.copy(gptJson, json.resolve("tokenizer.json"));
        JSON.writeValue(json.resolve("chat_template.json").toFile(), JSON.createObjectNode().put("chat_template", chatml));
        try (ModelTokenizer t = ModelTokenizer.load(json)) {
            assertThat(t.chatFormat()).isInstanceOf(ChatTemplate.class);
            assertThat(t.specialTokens().eos()).isEmpty();
        }
    }

    @Test
    void plainChatFormatIsDocumentedShape() {
        List<ChatMessage> chat = List.of(ChatMessage.system("S"), ChatMessage.user("U"), ChatMessage.assistant("A"), ChatMessage.user("V"));
        assertThat(PlainChatFormat.instance().render(chat, true)).isEqualTo("System: S\nUser: U\nAssistant: A\nUser: V\nAssistant:");
        assertThat(PlainChatFormat.instance().render(chat, false)).isEqualTo("System: S\nUser: U\nAssistant: A\nUser: V");
        assertCode(() -> PlainChatFormat.instance().render(List.of(), true), ErrorCode.INVALID_REQUEST);
    }

    static void assertCode(ThrowingCallable call, ErrorCode code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(AssistantException.class, e -> assertThat(e.code()).isEqualTo(code));
    }
}
