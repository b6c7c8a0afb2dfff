package dev.assistant.core.tokenizer;

/**
 * HuggingFace's {@code clean_up_tokenization_spaces} post-processing of decoded text (applied by {@code decode} when
 * {@code tokenizer_config.json} says so, e.g. the original GPT-2 one): removes the space before {@code . ? ! ,} and
 * English contractions. Same replacements, same order as {@code PreTrainedTokenizerBase.clean_up_tokenization}.
 */
final class CleanUpTokenizationSpaces {
    private static final String[][] REPLACEMENTS = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
        {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };

    private CleanUpTokenizationSpaces() {
    }

    static String apply(String text) {
        String out = text;
        for (String[] r : REPLACEMENTS) {
            if (out.contains(r[0])) {
                out = out.replace(r[0], r[1]);
            }
        }
        return out;
    }

    /**
     * How much of {@code pending} (raw decoded text not yet emitted; the text before it never ends inside a
     * possible pattern) can be cleaned and emitted now without changing the result once more text arrives: the
     * prefix must not end with the start of a pattern (e.g. a trailing space or {@code " n'"}: the next token may
     * complete it) and must not cut through a pattern occurrence. Returns the length of that prefix.
     */
    static int safePrefixLength(CharSequence pending) {
        int split = pending.length();
        boolean moved = true;
        while (moved && split > 0) {
            moved = false;
            int hold = pendingSuffixLength(pending.subSequence(0, split));
            if (hold > 0) {
                split -= hold;
                moved = true;
            }
            for (String[] r : REPLACEMENTS) {
                String pattern = r[0];
                for (int p = Math.max(0, split - pattern.length() + 1); p < split; p++) {
                    if (p + pattern.length() <= pending.length() && regionMatches(pending, p, pattern)
                            && p + pattern.length() > split) {
                        split = p;
                        moved = true;
                        break;
                    }
                }
            }
        }
        return split;
    }

    private static boolean regionMatches(CharSequence text, int offset, String pattern) {
        for (int i = 0; i < pattern.length(); i++) {
            if (text.charAt(offset + i) != pattern.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of a pattern. */
    static int pendingSuffixLength(CharSequence text) {
        int best = 0;
        int n = text.length();
        for (String[] r : REPLACEMENTS) {
            String pattern = r[0];
            for (int k = Math.min(pattern.length() - 1, n); k > best; k--) {
                if (endsWith(text, pattern, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    private static boolean endsWith(CharSequence text, String pattern, int prefixLength) {
        int start = text.length() - prefixLength;
        for (int i = 0; i < prefixLength; i++) {
            if (text.charAt(start + i) != pattern.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
