package dev.assistant.core.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.assistant.api.AssistantException;
import dev.assistant.core.ChatMessage;
import dev.assistant.core.tokenizer.ChatTemplate;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/**
 * A chat template is code shipped in a model's {@code tokenizer_config.json}: whatever its source, compiling and
 * rendering it ends with text or an {@link AssistantException}, never a crash, a hang or another exception.
 */
class ChatTemplateFuzzTest {
    private static final List<ChatMessage> CONVERSATION = List.of(ChatMessage.system("Be brief."),
            ChatMessage.user("Hello"), ChatMessage.assistant("Hi."), ChatMessage.user("Tell me a story"));
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    @FuzzTest(maxDuration = "15s")
    void templateSource(byte[] data) {
        String source = new String(data, StandardCharsets.UTF_8);
        try {
            ChatTemplate template = ChatTemplate.builder(source).bosToken("<s>").eosToken("</s>").clock(CLOCK).build();
            template.render(CONVERSATION, true);
        } catch (AssistantException expected) {
            // refused with a type
        }
    }
}
