package dev.assistant.core.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteLevelBpeTokenizerWriterTest {

    @Test
    void smallTokenizerLoadsRoundTripsAndChats(@TempDir Path dir) {
        ByteLevelBpeTokenizerWriter.write(dir, 1024, 7);
        try (ModelTokenizer t = ModelTokenizer.load(dir)) {
            assertThat(t.vocabSize()).isEqualTo(1024);
            assertThat(t.tokenToId("<|endoftext|>")).hasValue(ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
            assertThat(t.tokenToId("<|im_start|>")).hasValue(ByteLevelBpeTokenizerWriter.IM_START_ID);
            assertThat(t.tokenToId("<|im_end|>")).hasValue(ByteLevelBpeTokenizerWriter.IM_END_ID);
            assertThat(t.specialTokens().bos().orElseThrow().id()).hasValue(ByteLevelBpeTokenizerWriter.ENDOFTEXT_ID);
            assertThat(t.specialTokens().eos().orElseThrow().id()).hasValue(ByteLevelBpeTokenizerWriter.IM_END_ID);
            // merges learned from English: common words take fewer tokens than bytes
            assertThat(t.encode("the children were reading", false).length).isLessThan(15);
            assertRoundTrips(t, 300, 11);
            List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi 🙂"));
            String rendered = t.chatTemplate().orElseThrow().render(chat, true);
            assertThat(rendered).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi 🙂<|im_end|>\n<|im_start|>assistant\n");
            int[] ids = t.encodeChat(chat, true);
            assertThat(ids[0]).isEqualTo(ByteLevelBpeTokenizerWriter.IM_START_ID);
            assertThat(t.decode(ids, false)).isEqualTo(rendered);
            assertThat(t.decode(ids, true)).isEqualTo("system\nBe brief.\nuser\nHi 🙂\nassistant\n");
            GoldenTokenizationTest.assertStreamingMatches(t, ids, true);
        }
    }

    @Test
    void sameArgumentsSameBytesOtherSeedOtherMerges(@TempDir Path tmp) throws IOException {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        Path c = tmp.resolve("c");
        ByteLevelBpeTokenizerWriter.write(a, 5000, 42);
        ByteLevelBpeTokenizerWriter.write(b, 5000, 42);
        ByteLevelBpeTokenizerWriter.write(c, 5000, 43);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            assertThat(Files.readAllBytes(a.resolve(f))).isEqualTo(Files.readAllBytes(b.resolve(f)));
        }
        assertThat(Files.readAllBytes(a.resolve("tokenizer.json"))).isNotEqualTo(Files.readAllBytes(c.resolve("tokenizer.json")));
    }

    @Test
    void smolLmAndTinyLlamaShapesAreFastAndRoundTrip(@TempDir Path tmp) {
        long start = System.nanoTime();
        ByteLevelBpeTokenizerWriter.write(tmp.resolve("smol"), 49_152, 1);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).as("writing a 49152 vocabulary, ms").isLessThan(5_000);
        ByteLevelBpeTokenizerWriter.write(tmp.resolve("tiny"), 32_000, 1);
        for (String shape : List.of("smol", "tiny")) {
            try (ModelTokenizer t = ModelTokenizer.load(tmp.resolve(shape))) {
                assertThat(t.vocabSize()).isEqualTo(shape.equals("smol") ? 49_152 : 32_000);
                assertRoundTrips(t, 200, 5);
            }
        }
    }

    @Test
    void rejectsBadSizes(@TempDir Path tmp) {
        ModelTokenizerTest.assertCode(() -> ByteLevelBpeTokenizerWriter.write(tmp, 258, 1), ErrorCode.INVALID_REQUEST);
        ModelTokenizerTest.assertCode(() -> ByteLevelBpeTokenizerWriter.write(null, 1000, 1), ErrorCode.INVALID_REQUEST);
        ByteLevelBpeTokenizerWriter.write(tmp, ByteLevelBpeTokenizerWriter.MIN_VOCAB_SIZE, 1);
        try (ModelTokenizer t = ModelTokenizer.load(tmp)) {
            assertRoundTrips(t, 50, 3);
        }
    }

    /** Random text from several scripts, emoji, controls and literal special tokens survives encode/decode. */
    private static void assertRoundTrips(ModelTokenizer t, int samples, long seed) {
        String[] pieces = {"the", " ", "  ", "\n", "\t", "Hello", ",", ".", "!", "é", "ß", "日本語", "русский", "🙂", "👨‍👩‍👧",
            "<|im_start|>", "<|endoftext|>", "\u0000", "\r\n", "'s", "42", "\u00a0", "ﬁ", "Ω", "\uFEFF"};
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < samples; i++) {
            StringBuilder text = new StringBuilder();
            int n = random.nextInt(1, 20);
            for (int k = 0; k < n; k++) {
                if (random.nextInt(4) == 0) {
                    text.appendCodePoint(random.nextInt(0x20, 0x3000)); // below the surrogate range
                } else {
                    text.append(pieces[random.nextInt(pieces.length)]);
                }
            }
            String s = text.toString();
            int[] ids = t.encode(s, false);
            assertThat(t.decode(ids, false)).as("round trip of %s", s).isEqualTo(s);
            GoldenTokenizationTest.assertStreamingMatches(t, ids, false);
        }
    }
}
