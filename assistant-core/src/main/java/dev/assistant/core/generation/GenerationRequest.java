package dev.assistant.core.generation;

import java.util.List;
import java.util.Set;

/**
 * One generation: the prompt's token ids and the rules for producing and stopping.
 *
 * @param promptIds    the tokens to evaluate first (special tokens included as wanted)
 * @param maxNewTokens the most tokens to generate
 * @param sampling     how to choose tokens
 * @param stopStrings  text that ends generation (excluded from the output)
 * @param eosIds       tokens that end generation (excluded from the output)
 * @param ignoreStops  generate exactly {@code maxNewTokens} tokens, ignoring EOS and stop strings
 * @param textVocab    only ids below this may be sampled: some models (Qwen2) have more output rows than their
 *                     tokenizer has tokens, and an id the tokenizer cannot decode must never be produced
 * @param constraint   restricts the tokens (structured output), or null for none
 * @param logprobs     -1 for no log-probabilities, else how many top alternatives to record per token (0-20)
 */
public record GenerationRequest(int[] promptIds, int maxNewTokens, SamplingParams sampling, List<String> stopStrings,
                                Set<Integer> eosIds, boolean ignoreStops, int textVocab,
                                TokenConstraint.Factory constraint, int logprobs) {
    public GenerationRequest {
        promptIds = promptIds.clone();
        stopStrings = List.copyOf(stopStrings);
        eosIds = Set.copyOf(eosIds);
        if (textVocab < 1) {
            throw new IllegalArgumentException("textVocab must be positive, was " + textVocab);
        }
        if (logprobs < -1 || logprobs > 20) {
            throw new IllegalArgumentException("logprobs must be -1 (off) or 0-20, was " + logprobs);
        }
    }

    /** A request without constraint or log-probabilities. */
    public GenerationRequest(int[] promptIds, int maxNewTokens, SamplingParams sampling, List<String> stopStrings,
                             Set<Integer> eosIds, boolean ignoreStops, int textVocab) {
        this(promptIds, maxNewTokens, sampling, stopStrings, eosIds, ignoreStops, textVocab, null, -1);
    }

    /** A request that may sample any id the model outputs. */
    public GenerationRequest(int[] promptIds, int maxNewTokens, SamplingParams sampling, List<String> stopStrings,
                             Set<Integer> eosIds, boolean ignoreStops) {
        this(promptIds, maxNewTokens, sampling, stopStrings, eosIds, ignoreStops, Integer.MAX_VALUE);
    }
}
