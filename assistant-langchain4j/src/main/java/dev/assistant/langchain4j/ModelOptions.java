package dev.assistant.langchain4j;

import dev.assistant.core.Assistant;
import dev.assistant.core.CallerKey;
import dev.assistant.core.tools.ToolChoice;
import dev.langchain4j.model.chat.request.ChatRequestParameters;

import java.util.Objects;

/**
 * The settings both models share, set fluently.
 *
 * @param <B> the concrete builder
 */
abstract class ModelOptions<B extends ModelOptions<B>> {
    final Assistant assistant;
    ChatRequestParameters defaults;
    CallerKey callerKey;
    ToolChoice afterToolResults = ToolChoice.auto();

    ModelOptions(Assistant assistant) {
        this.assistant = Objects.requireNonNull(assistant, "assistant");
        this.defaults = ChatRequestParameters.builder().modelName(assistant.modelInfo().name()).build();
    }

    abstract B self();

    /** Parameters every request starts from (temperature, max output tokens, tools, tool choice, ...). */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.defaults = Objects.requireNonNull(parameters, "parameters");
        return self();
    }

    /**
     * The API key every call presents to the assistant's authentication step (the caller keeps it open for as
     * long as the model is used).
     */
    public B callerKey(CallerKey key) {
        this.callerKey = key;
        return self();
    }

    /**
     * The tool choice of a turn that answers tool results when the request asks for {@code REQUIRED} (default
     * {@code auto}). Agent loops such as {@code AiServices} send the same parameters on every turn; forcing a call
     * again after the results would never let the model answer. Pass {@code ToolChoice.required()} to keep forcing.
     */
    public B toolChoiceAfterToolResults(ToolChoice choice) {
        this.afterToolResults = Objects.requireNonNull(choice, "choice");
        return self();
    }
}
