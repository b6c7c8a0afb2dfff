package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.tools.ToolCall;

import java.util.List;

/**
 * One message of a conversation.
 *
 * @param role       who said it
 * @param content    what was said; never null (may be empty, e.g. an assistant message that only calls tools)
 * @param toolCalls  the tools an assistant message called (empty for other roles and plain answers)
 * @param toolCallId for a {@link Role#TOOL} message, the id of the call whose result it carries; else null
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId) {

    /** The speaker of a message, with the name chat templates expect in {@code message['role']}. */
    public enum Role {
        SYSTEM("system"), USER("user"), ASSISTANT("assistant"), TOOL("tool");

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
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "only assistant messages carry tool calls");
        }
        if (role == Role.TOOL && (toolCallId == null || toolCallId.isBlank())) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST,
                    "a tool message needs the id of the tool call it answers");
        }
        if (role != Role.TOOL && toolCallId != null) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "only tool messages carry a tool call id");
        }
    }

    /** A message without tool calls. */
    public ChatMessage(Role role, String content) {
        this(role, content, List.of(), null);
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

    /** An assistant turn that called tools (content may be empty), to send back with the tools' results. */
    public static ChatMessage assistant(String content, List<ToolCall> toolCalls) {
        return new ChatMessage(Role.ASSISTANT, content == null ? "" : content, toolCalls, null);
    }

    /** The result of the tool call {@code toolCallId}, as text (often JSON). */
    public static ChatMessage tool(String toolCallId, String content) {
        return new ChatMessage(Role.TOOL, content, List.of(), toolCallId);
    }
}
