package dev.assistant.core.demo;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

/**
 * The dimensions of a Llama-architecture model to generate.
 *
 * @param name  a short name used for the directory
 */
public record ModelShape(String name, int hidden, int layers, int heads, int kvHeads, int ffn, int vocab, int context,
                         boolean tiedEmbeddings) {

    /** SmolLM-135M's shape: hidden 576, 30 layers, 9 heads, 3 KV heads, FFN 1536, vocab 49152 (163M params untied). */
    public static final ModelShape SMOLLM_135M = new ModelShape("smollm-135m-shape", 576, 30, 9, 3, 1536, 49152, 2048, false);
    /** TinyLlama-1.1B's shape: hidden 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 32000. */
    public static final ModelShape TINYLLAMA_1_1B = new ModelShape("tinyllama-1.1b-shape", 2048, 22, 32, 4, 5632, 32000, 2048, false);
    /** A tiny shape for tests: loads and runs in milliseconds. */
    public static final ModelShape TINY = new ModelShape("tiny", 64, 2, 4, 2, 128, 512, 256, true);

    public ModelShape {
        if (hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || ffn <= 0 || vocab < 300 || context <= 0
                || hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "invalid model shape " + name
                    + ": need positive sizes, heads dividing hidden into an even head size, kv heads dividing heads, "
                    + "and a vocab of at least 300 (256 bytes + specials + merges)");
        }
    }

    public static ModelShape byName(String name) {
        return switch (name) {
            case "smollm-135m-shape", "smollm" -> SMOLLM_135M;
            case "tinyllama-1.1b-shape", "tinyllama" -> TINYLLAMA_1_1B;
            case "tiny" -> TINY;
            default -> throw new AssistantException(ErrorCode.INVALID_REQUEST, "unknown model shape '" + name
                    + "'; known: smollm-135m-shape, tinyllama-1.1b-shape, tiny");
        };
    }

    public int headDim() {
        return hidden / heads;
    }

    /** Number of parameters. */
    public long parameters() {
        long attention = (long) hidden * hidden * 2 + (long) hidden * (hidden / heads) * kvHeads * 2;
        long mlp = 3L * hidden * ffn;
        long perLayer = attention + mlp + 2L * hidden;
        return layers * perLayer + (long) vocab * hidden * (tiedEmbeddings ? 1 : 2) + hidden;
    }
}
