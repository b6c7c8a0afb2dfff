package dev.assistant.core.tokenizer;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.ChatMessage;
import java.util.List;

/**
 * The fallback prompt format for models without a chat template (base models such as GPT-2 or stories260K).
 *
 * <p>Each message becomes one paragraph {@code "<Role>: <content>"} ({@code System}, {@code User},
 * {@code Assistant}), paragraphs are separated by a single {@code "\n"}, and the generation prompt is a final
 * {@code "Assistant:"} (no trailing space, so the model's first token carries its own leading space). Example:
 * {@code "System: Be brief.\nUser: Hi\nAssistant:"}. Without the generation prompt the text ends after the last
 * message's content. Encoded with the tokenizer's default special tokens (e.g. BOS for Llama-style tokenizers).
 */
public final class PlainChatFormat implements ChatFormat {
    private static final PlainChatFormat INSTANCE = new PlainChatFormat();

    private PlainChatFormat() {
    }

    public static PlainChatFormat instance() {
        return INSTANCE;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (messages == null || messages.isEmpty()) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "a conversation needs at least one message");
        }
        StringBuilder out = new StringBuilder();
        for (ChatMessage message : messages) {
            if (message == null) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "chat messages must not be null");
            }
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(label(message.role())).append(": ").append(message.content());
        }
        if (addGenerationPrompt) {
            out.append('\n').append(label(ChatMessage.Role.ASSISTANT)).append(':');
        }
        return out.toString();
    }

    @Override
    public boolean addSpecialTokensWhenEncoding() {
        return true;
    }

    private static String label(ChatMessage.Role role) {
        return switch (role) {
            case SYSTEM -> "System";
            case USER -> "User";
            case ASSISTANT -> "Assistant";
            case TOOL -> "Tool";
        };
    }

    @Override
    public String toString() {
        return "PlainChatFormat";
    }
}
