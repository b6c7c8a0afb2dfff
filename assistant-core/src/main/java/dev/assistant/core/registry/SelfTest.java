package dev.assistant.core.registry;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;

/**
 * Checks a freshly loaded version before it takes requests. Throws (any exception) to refuse the version.
 */
@FunctionalInterface
public interface SelfTest {
    void verify(Assistant assistant);

    /**
     * The default: one forward pass over a short tokenized prompt (run directly on the model, so the check needs no
     * caller key) whose logits must be as many as the vocabulary and all finite. It catches weights that load but
     * compute garbage (NaN/Inf from a damaged file) and a tokenizer that does not fit the model.
     */
    SelfTest FORWARD_PASS = assistant -> {
        int[] ids = assistant.tokenizer().encode("Hello", true);
        if (ids.length == 0) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "the tokenizer encodes a test prompt to no tokens");
        }
        float[] logits = assistant.lastPositionLogits(ids);
        if (logits.length != assistant.modelInfo().vocabSize()) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "self-test: " + logits.length
                    + " logits for a vocabulary of " + assistant.modelInfo().vocabSize());
        }
        for (int i = 0; i < logits.length; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new AssistantException(ErrorCode.MODEL_CORRUPTED, "self-test: logit " + i + " is " + logits[i]
                        + " (the weights compute non-finite values)");
            }
        }
    };
}
