package dev.assistant.core.structured;

import dev.assistant.core.generation.TokenConstraint;
import dev.assistant.core.tokenizer.ModelTokenizer;

import java.util.Objects;

/**
 * Structured output for one model: turns a {@link ResponseFormat} into the token constraint of a generation. The
 * tokenizer's tables are built on first use (tens of milliseconds for a 50k vocabulary) and kept. Thread-safe.
 */
public final class StructuredOutput {
    private final ModelTokenizer tokenizer;
    private volatile TokenVocabulary vocabulary;

    public StructuredOutput(ModelTokenizer tokenizer) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /**
     * The constraint factory for {@code format}, or null when it constrains nothing ({@link ResponseFormat#text()}).
     *
     * @throws dev.assistant.api.AssistantException INVALID_REQUEST when the tokenizer does not support structured output
     */
    public TokenConstraint.Factory constraint(ResponseFormat format) {
        if (!format.constrains()) {
            return null;
        }
        TokenVocabulary v = vocabulary();
        Grammar grammar = format.grammar();
        return () -> new JsonConstraint(v, grammar);
    }

    /** The bytes of a token in the answer's text, or an empty array for an added token. */
    public byte[] tokenBytes(int id) {
        byte[][] table = vocabulary().bytes;
        return id >= 0 && id < table.length && table[id] != null ? table[id].clone() : new byte[0];
    }

    private TokenVocabulary vocabulary() {
        TokenVocabulary v = vocabulary;
        if (v == null) {
            synchronized (this) {
                v = vocabulary;
                if (v == null) {
                    v = new TokenVocabulary(tokenizer.tokenBytes());
                    vocabulary = v;
                }
            }
        }
        return v;
    }
}
