package dev.assistant.core.tokenizer;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import java.util.OptionalInt;

/**
 * One named special token of a tokenizer (BOS, EOS, UNK or PAD).
 *
 * @param content the token's text as it appears in the vocabulary and in chat templates (e.g. {@code <s>})
 * @param id      the token's id, empty when the configured text is not in the vocabulary
 */
public record SpecialToken(String content, OptionalInt id) {

    public SpecialToken {
        if (content == null || content.isEmpty()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "special token content must not be empty");
        }
        if (id == null) {
            id = OptionalInt.empty();
        }
    }
}
