package dev.assistant.core;

import java.util.List;

/**
 * The log-probability of one generated token and of the most likely alternatives at its position. The
 * distribution is the one the token was drawn from before temperature and truncation: the model's logits after
 * logit bias, penalties and any response-format mask (a masked token has probability 0 and is never listed).
 *
 * @param id      the token id
 * @param token   the token's text (a partial UTF-8 character shows as U+FFFD; see {@code bytes})
 * @param bytes   the token's exact UTF-8 bytes
 * @param logprob its natural log-probability
 * @param top     the most likely tokens at this position, most likely first (as many as asked for)
 */
public record TokenLogprob(int id, String token, byte[] bytes, double logprob, List<Alternative> top) {
    public TokenLogprob {
        bytes = bytes.clone();
        top = List.copyOf(top);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** One of the most likely tokens at a position. */
    public record Alternative(int id, String token, byte[] bytes, double logprob) {
        public Alternative {
            bytes = bytes.clone();
        }

        @Override
        public byte[] bytes() {
            return bytes.clone();
        }
    }
}
