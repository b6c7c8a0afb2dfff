package dev.assistant.core.tokenizer;

import java.util.Arrays;

/**
 * Turns generated ids into text one id at a time, for streaming responses.
 *
 * <p>Contract: for ids {@code i1..in}, {@code push(i1) + ... + push(in) + flush()} equals
 * {@code tokenizer.decode(new int[]{i1..in}, skipSpecialTokens)}. {@link #push} returns only text that can no
 * longer change: it never returns half a character (byte-fallback and byte-level tokens may split a UTF-8
 * sequence; the decoder holds back while the decoded text ends in U+FFFD) and never a spurious leading space
 * (SentencePiece strips one leading space from a decode, so each step decodes a window that starts at an already
 * emitted token and emits only the difference). When the tokenizer cleans up tokenization spaces, a trailing
 * space is held back until the next token shows whether it survives. {@link #flush} returns what is held back at
 * the end of the stream (usually empty).
 *
 * <p>Not thread-safe: one decoder per generation stream.
 */
public final class StreamingDecoder {
    private static final char REPLACEMENT = '\uFFFD';

    private final ModelTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final boolean cleanUp;
    private int[] ids = new int[64];
    private int size;
    /** Start of the decode window: an id whose text was already emitted, so its leading-space handling is settled. */
    private int prefixOffset;
    /** Ids before this index have been emitted. */
    private int readOffset;
    /** Raw decoded text held back for clean-up (only when {@link #cleanUp}). */
    private final StringBuilder pendingCleanUp = new StringBuilder();

    StreamingDecoder(ModelTokenizer tokenizer, boolean skipSpecialTokens, boolean cleanUp) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        this.cleanUp = cleanUp;
    }

    /**
     * Adds one id and returns the text it completes (possibly empty).
     *
     * @throws dev.assistant.api.AssistantException INVALID_REQUEST when the id is outside the vocabulary
     */
    public String push(int id) {
        tokenizer.checkId(id);
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
        String prefixText = window(prefixOffset, readOffset);
        String newText = window(prefixOffset, size);
        if (newText.length() > prefixText.length() && newText.charAt(newText.length() - 1) != REPLACEMENT
                && newText.startsWith(prefixText)) {
            prefixOffset = readOffset;
            readOffset = size;
            return emit(newText.substring(prefixText.length()), false);
        }
        return "";
    }

    /** Returns everything still held back (an incomplete character as U+FFFD, a pending space) and resets nothing. */
    public String flush() {
        String prefixText = window(prefixOffset, readOffset);
        String newText = window(prefixOffset, size);
        String tail = newText.startsWith(prefixText) ? newText.substring(prefixText.length()) : "";
        prefixOffset = size;
        readOffset = size;
        return emit(tail, true);
    }

    /** How many ids were pushed. */
    public int size() {
        return size;
    }

    private String window(int from, int to) {
        return from == to ? "" : tokenizer.rawDecode(Arrays.copyOfRange(ids, from, to), skipSpecialTokens);
    }

    private String emit(String raw, boolean end) {
        if (!cleanUp) {
            return raw;
        }
        pendingCleanUp.append(raw);
        int ready = end ? pendingCleanUp.length() : CleanUpTokenizationSpaces.safePrefixLength(pendingCleanUp);
        String out = CleanUpTokenizationSpaces.apply(pendingCleanUp.substring(0, ready));
        pendingCleanUp.delete(0, ready);
        return out;
    }
}
