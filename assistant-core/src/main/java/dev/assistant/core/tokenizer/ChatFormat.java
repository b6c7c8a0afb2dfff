package dev.assistant.core.tokenizer;

import dev.assistant.core.ChatMessage;
import java.util.List;

/** Turns a conversation into the prompt text a model expects. Implementations are immutable and thread-safe. */
public interface ChatFormat {

    /**
     * Renders the conversation.
     *
     * @param messages            the conversation, oldest first; not empty
     * @param addGenerationPrompt whether to end with the header that makes the model answer as the assistant
     * @return the prompt text
     * @throws dev.assistant.api.AssistantException INVALID_REQUEST when the conversation is not acceptable to the
     *                                              format, MODEL_INVALID when the template itself fails
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /**
     * Whether the rendered text must be encoded with the tokenizer's special tokens added (BOS ...). Chat templates
     * emit their own special tokens (HF {@code apply_chat_template} tokenizes with {@code add_special_tokens=False});
     * the plain fallback does not.
     */
    boolean addSpecialTokensWhenEncoding();
}
