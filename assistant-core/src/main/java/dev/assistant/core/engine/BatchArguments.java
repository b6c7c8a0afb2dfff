package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * The argument checks and result shaping every engine's batched forward pass shares, so each engine keeps only its
 * own arithmetic.
 */
public final class BatchArguments {
    private BatchArguments() {
    }

    /** Rejects a sequence capacity outside 1..{@code contextLength} with {@link ErrorCode#CONTEXT_OVERFLOW}. */
    public static void checkCapacity(int capacity, int contextLength) {
        if (capacity < 1 || capacity > contextLength) {
            throw new AssistantException(ErrorCode.CONTEXT_OVERFLOW, "a sequence of " + capacity
                    + " tokens does not fit the model's context of " + contextLength + " tokens");
        }
    }

    /**
     * The engine's own sequences of a batch: as many as {@code inputs} (at least one), each of {@code type},
     * accepted by {@code ours} (created by the calling model) and none twice.
     *
     * @throws IllegalArgumentException when any of that does not hold
     */
    public static <S extends Sequence> S[] owned(List<? extends Sequence> sequences, List<int[]> inputs,
            Class<S> type, Predicate<S> ours, IntFunction<S[]> newArray) {
        int count = sequences.size();
        if (count != inputs.size() || count == 0) {
            throw new IllegalArgumentException(count + " sequences but " + inputs.size() + " inputs (need >= 1)");
        }
        S[] owned = newArray.apply(count);
        Map<S, Boolean> seen = new IdentityHashMap<>();
        for (int i = 0; i < count; i++) {
            Sequence sequence = sequences.get(i);
            if (!type.isInstance(sequence) || !ours.test(type.cast(sequence))) {
                throw new IllegalArgumentException("sequence " + i + " was not created by this model");
            }
            S s = type.cast(sequence);
            if (seen.put(s, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("sequence " + i + " appears twice in one batch");
            }
            owned[i] = s;
        }
        return owned;
    }

    /** Refuses {@code logits} unless it holds at least {@code sequences} arrays of {@code vocab} floats each. */
    public static void checkLogitsArrays(float[][] logits, int sequences, int vocab) {
        if (logits.length < sequences) {
            throw new IllegalArgumentException(logits.length + " logits arrays for " + sequences + " sequences");
        }
        for (int i = 0; i < sequences; i++) {
            if (logits[i] == null || logits[i].length != vocab) {
                throw new IllegalArgumentException("logits array " + i + " is not " + vocab + " floats long");
            }
        }
    }

    /** Splits {@code rows} logit rows of {@code vocab} values each, stored one after another, into one array each. */
    public static float[][] splitRows(float[] flat, int rows, int vocab) {
        float[][] out = new float[rows][];
        for (int i = 0; i < rows; i++) {
            out[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
        }
        return out;
    }
}
