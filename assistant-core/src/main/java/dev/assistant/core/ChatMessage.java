package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

/**
 * One message of a conversation.
 *
 * @param role    who said it
 * @param content what was said; never null (may be empty)
 */
public record ChatMessage(Role role, String content) {

    /** The speaker of a message, with the name chat templates expect in {@code message['role']}. */
    public enum Role {
        SYSTEM("system"), USER("user"), ASSISTANT("assistant");

        private final String templateName;

        Role(String templateName) {
            this.templateName = templateName;
        }

        /** The lower-case name chat templates use. */
        public String templateName() {
            return templateName;
        }
    }

    public ChatMessage {
        if (role == null) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "chat message role must not be null");
        }
        if (content == null) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "chat message content must not be null");
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
