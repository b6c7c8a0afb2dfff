package dev.assistant.core.model;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

/** Where a model's output head comes from: its own {@code lm_head.weight}, or the token embedding table. */
public final class OutputHead {
    private OutputHead() {
    }

    /**
     * Whether head {@code name} (e.g. {@code lm_head}) is the embedding table: tied in config.json, or absent from
     * the weights.
     *
     * @throws AssistantException {@code MODEL_INVALID} when config.json says it is not tied and the file lacks it
     */
    public static boolean isTied(ModelConfig c, WeightStore store, String name) {
        boolean present = store.find(name + ".weight").isPresent();
        if (!c.tieWordEmbeddings() && !present) {
            throw new AssistantException(ErrorCode.MODEL_INVALID, "missing tensor '" + name + ".weight' (config.json "
                    + "says tie_word_embeddings is false, so the model needs its own output head)");
        }
        return !(present && !c.tieWordEmbeddings());
    }
}
