package dev.assistant.core.tokenizer;

import java.util.Arrays;
import java.util.Optional;

/**
 * The special tokens of a tokenizer, as HuggingFace resolves them: BOS/EOS/UNK/PAD from {@code special_tokens_map.json}
 * (which wins) or {@code tokenizer_config.json}, ids looked up in {@code tokenizer.json}; plus the set of every
 * added token flagged {@code "special": true} (those {@code decode(ids, skipSpecialTokens=true)} drops).
 *
 * <p>Immutable and thread-safe.
 */
public final class SpecialTokens {
    private final SpecialToken bos;
    private final SpecialToken eos;
    private final SpecialToken unk;
    private final SpecialToken pad;
    private final int[] specialIds;

    SpecialTokens(SpecialToken bos, SpecialToken eos, SpecialToken unk, SpecialToken pad, int[] specialIds) {
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        this.pad = pad;
        this.specialIds = specialIds.clone();
        Arrays.sort(this.specialIds);
    }

    /** The beginning-of-sequence token, when the tokenizer configures one (Qwen and GPT-2-style ones may not). */
    public Optional<SpecialToken> bos() {
        return Optional.ofNullable(bos);
    }

    /** The end-of-sequence token, when configured. Generation may stop on more ids (see generation_config.json). */
    public Optional<SpecialToken> eos() {
        return Optional.ofNullable(eos);
    }

    public Optional<SpecialToken> unk() {
        return Optional.ofNullable(unk);
    }

    public Optional<SpecialToken> pad() {
        return Optional.ofNullable(pad);
    }

    /** Whether {@code id} is an added token flagged special (skipped by {@code decode(ids, true)}). */
    public boolean isSpecial(int id) {
        return Arrays.binarySearch(specialIds, id) >= 0;
    }

    /** Every special id, ascending (a copy). */
    public int[] specialIds() {
        return specialIds.clone();
    }

    @Override
    public String toString() {
        return "SpecialTokens[bos=" + bos + ", eos=" + eos + ", unk=" + unk + ", pad=" + pad
                + ", special ids=" + specialIds.length + "]";
    }
}
