package dev.assistant.core.structured;

import dev.assistant.core.generation.TokenConstraint;

/**
 * The grammar of one generation over one tokenizer's vocabulary. The allowed set is found by walking the token trie
 * against the grammar state, except inside a string, where the plain tokens are allowed by their character count
 * alone and only the other tokens are walked.
 *
 * <p>Budget: a token is allowed only if the document can still be completed in the tokens left after it (every
 * byte is a token in byte-level and byte-fallback vocabularies, so one token per byte is always possible). This
 * check runs only when the budget is close enough to matter.
 */
final class JsonConstraint implements TokenConstraint {
    private final TokenVocabulary vocabulary;
    private final Grammar grammar;
    private ParserState state;

    JsonConstraint(TokenVocabulary vocabulary, Grammar grammar) {
        this.vocabulary = vocabulary;
        this.grammar = grammar;
        this.state = grammar.start();
    }

    @Override
    public void allowedTokens(long[] allowed, int remaining) {
        long toEnd = state.minBytesToEnd();
        long growth = (long) vocabulary.maxTokenBytes * (grammar.largestNode() + 1);
        boolean budgeted = remaining - 1L < toEnd + growth;
        if (budgeted && toEnd <= remaining && collect(allowed, remaining - 1L)) {
            return;
        }
        // No budget concern, or even the shortest completion does not fit: any token the grammar accepts.
        collect(allowed, Long.MAX_VALUE);
    }

    /** Sets the tokens after which the document can end within {@code budget} more bytes; whether there was one. */
    private boolean collect(long[] allowed, long budget) {
        boolean[] any = {false};
        Stack single = state.single();
        if (single != null && single.top instanceof StringFrame string && string.normal()) {
            any[0] = safeTokens(allowed, string, single.rest, budget);
            vocabulary.quoting.walk(state, (id, after) -> any[0] |= allow(allowed, id, after, budget));
        } else {
            vocabulary.all.walk(state, (id, after) -> any[0] |= allow(allowed, id, after, budget));
        }
        return any[0];
    }

    /** Inside a string, between characters: the tokens without quote or backslash, by their character count. */
    private boolean safeTokens(long[] allowed, StringFrame string, Stack rest, long budget) {
        int room = string.room();
        long restToEnd = budget == Long.MAX_VALUE ? 0 : rest.minBytesToEnd();
        int missing = Math.max(0, string.node.minLength - string.count);
        if (room >= vocabulary.maxSafeChars && restToEnd + vocabulary.maxSafePending + missing + 1 <= budget) {
            long[] safe = vocabulary.safeMask;
            for (int i = 0; i < Math.min(safe.length, allowed.length); i++) {
                allowed[i] |= safe[i];
            }
            return vocabulary.safeIds.length > 0;
        }
        boolean any = false;
        int[] ids = vocabulary.safeIds;
        int[] chars = vocabulary.safeChars;
        int[] pending = vocabulary.safePending;
        for (int i = 0; i < ids.length; i++) {
            int c = chars[i];
            if (c <= room && restToEnd + pending[i] + Math.max(0, missing - c) + 1 <= budget
                    && ids[i] < allowed.length * 64) {
                allowed[ids[i] >>> 6] |= 1L << ids[i];
                any = true;
            }
        }
        return any;
    }

    private static boolean allow(long[] allowed, int id, ParserState after, long budget) {
        if (id >= allowed.length * 64 || (budget != Long.MAX_VALUE && after.minBytesToEnd() > budget)) {
            return false;
        }
        allowed[id >>> 6] |= 1L << id;
        return true;
    }

    @Override
    public void accept(int token) {
        byte[] b = token >= 0 && token < vocabulary.size() ? vocabulary.bytes[token] : null;
        ParserState next = b == null ? null : state.advance(b);
        if (next == null) {
            throw new IllegalStateException("token " + token + " is not allowed by the response format here");
        }
        state = next;
    }

    /** Advances by raw bytes (tests and benchmarks that replay a document byte by byte). */
    void acceptBytes(byte[] bytes) {
        ParserState next = state.advance(bytes);
        if (next == null) {
            throw new IllegalStateException("bytes not allowed here");
        }
        state = next;
    }

    @Override
    public boolean accepting() {
        return state.accepting();
    }

    /** Closed, or a complete top-level number or literal that no byte can extend (e.g. at its digit limit). */
    @Override
    public boolean complete() {
        if (state.closed()) {
            return true;
        }
        if (!state.accepting()) {
            return false;
        }
        for (int b = 0; b < 256; b++) {
            if (state.advance(b) != null) {
                return false;
            }
        }
        return true;
    }
}
