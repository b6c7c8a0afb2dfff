package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;


/**
 * Plain-text continuation: a prompt string (tokenized as the model's tokenizer does by default, special tokens
 * added) or exact token ids, then generation. Immutable.
 */
public final class GenerateRequest {
    private final String prompt;
    private final int[] inputIds;
    private final GenerationOptions options;
    private final CallerKey callerKey;

    private GenerateRequest(Builder b) {
        this.prompt = b.prompt;
        this.inputIds = b.inputIds;
        this.options = b.options.build();
        this.callerKey = b.callerKey;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static GenerateRequest of(String prompt) {
        return builder().prompt(prompt).build();
    }

    /** The prompt text, or null when {@link #inputIds()} is given. */
    public String prompt() {
        return prompt;
    }

    /** Exact token ids to feed, or null when {@link #prompt()} is given. */
    public int[] inputIds() {
        return inputIds == null ? null : inputIds.clone();
    }

    public GenerationOptions options() {
        return options;
    }

    public CallerKey callerKey() {
        return callerKey;
    }

    @Override
    public String toString() {
        return "GenerateRequest[" + (prompt != null ? "prompt of " + prompt.length() + " chars"
                : inputIds.length + " input ids") + ", options=" + options + "]";
    }

    public static final class Builder extends RequestBuilder<Builder> {
        private String prompt;
        private int[] inputIds;

        public Builder prompt(String prompt) {
            this.prompt = prompt;
            return this;
        }

        public Builder inputIds(int... ids) {
            this.inputIds = ids.clone();
            return this;
        }

        @Override
        Builder self() {
            return this;
        }

        public GenerateRequest build() {
            if ((prompt == null) == (inputIds == null)) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "give exactly one of a prompt or input ids");
            }
            return new GenerateRequest(this);
        }
    }
}
