package dev.assistant.springai;

import dev.assistant.core.tools.ToolChoice;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.model.tool.DefaultToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Spring AI's tool-calling options plus what Spring AI has no portable option for: the tool choice
 * ({@code auto}, {@code none}, {@code required} or a named function; default {@code auto}).
 */
public class AssistantChatOptions extends DefaultToolCallingChatOptions {
    private ToolChoice toolChoice;

    /** The tool choice, or null to use the model's default. */
    public ToolChoice getToolChoice() {
        return toolChoice;
    }

    public void setToolChoice(ToolChoice toolChoice) {
        this.toolChoice = toolChoice;
    }

    /** The tool choice of any options: ours, or null for Spring AI's own kinds. */
    static ToolChoice toolChoiceOf(ChatOptions options) {
        return options instanceof AssistantChatOptions a ? a.getToolChoice() : null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends ChatOptions> T copy() {
        AssistantChatOptions copy = new AssistantChatOptions();
        copy.setModel(getModel());
        copy.setFrequencyPenalty(getFrequencyPenalty());
        copy.setPresencePenalty(getPresencePenalty());
        copy.setMaxTokens(getMaxTokens());
        copy.setStopSequences(getStopSequences() == null ? null : new ArrayList<>(getStopSequences()));
        copy.setTemperature(getTemperature());
        copy.setTopK(getTopK());
        copy.setTopP(getTopP());
        copy.setToolCallbacks(new ArrayList<>(getToolCallbacks()));
        copy.setToolNames(new HashSet<>(getToolNames()));
        copy.setToolContext(new HashMap<>(getToolContext()));
        copy.setInternalToolExecutionEnabled(getInternalToolExecutionEnabled());
        copy.setToolChoice(toolChoice);
        return (T) copy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AssistantChatOptions other && super.equals(o) && Objects.equals(toolChoice, other.toolChoice);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), toolChoice);
    }

    /**
     * Fluent construction: {@code new AssistantChatOptions.Builder()...build()} (the name {@code builder()} is taken
     * by the Spring AI superclass's own builder, which cannot set a tool choice).
     */
    public static final class Builder {
        private final AssistantChatOptions options = new AssistantChatOptions();

        public Builder() {
        }

        public Builder toolCallbacks(ToolCallback... callbacks) {
            options.setToolCallbacks(List.of(callbacks));
            return this;
        }

        public Builder toolCallbacks(List<ToolCallback> callbacks) {
            options.setToolCallbacks(callbacks);
            return this;
        }

        public Builder toolChoice(ToolChoice choice) {
            options.setToolChoice(choice);
            return this;
        }

        public Builder internalToolExecutionEnabled(boolean enabled) {
            options.setInternalToolExecutionEnabled(enabled);
            return this;
        }

        public Builder maxTokens(int maxTokens) {
            options.setMaxTokens(maxTokens);
            return this;
        }

        public Builder temperature(double temperature) {
            options.setTemperature(temperature);
            return this;
        }

        public Builder topP(double topP) {
            options.setTopP(topP);
            return this;
        }

        public Builder stopSequences(List<String> stops) {
            options.setStopSequences(stops);
            return this;
        }

        public AssistantChatOptions build() {
            return options.copy();
        }
    }
}
