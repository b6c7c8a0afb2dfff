package dev.assistant.bench.engine;

import dev.assistant.core.demo.DemoModels;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;

import java.nio.file.Path;

/**
 * The decode measurement shared by {@link DecodeRun} and {@link DecodeRatio}, in the terms of
 * {@code shared/bench/llamacpp/run.sh}: greedy decoding of N new tokens after a 32-token prompt; the rate counts the
 * tokens after the first (the first one's time is the prompt's, reported as time to first token).
 */
final class GreedyDecode {
    static final int PROMPT_TOKENS = 32;

    private GreedyDecode() {
    }

    /** Time to the first token and decode speed of one run. */
    record Timing(double firstTokenMs, double tokensPerSecond) {
    }

    /** A model directory, or {@code shape:NAME} for the generated benchmark model of that shape (made if missing). */
    static Path modelDirectory(String argument) {
        return argument.startsWith("shape:")
                ? DemoModels.ensure(DemoModels.defaultCacheDir(), ModelShape.byName(argument.substring(6)),
                DemoModels.DEFAULT_SEED)
                : Path.of(argument);
    }

    /** A deterministic prompt of {@code length} ids spread over the vocabulary (ids below 3 are special tokens). */
    static int[] prompt(int vocab, int length) {
        int[] prompt = new int[length];
        for (int i = 0; i < length; i++) {
            prompt[i] = 3 + (int) ((i * 7919L) % (vocab - 3));
        }
        return prompt;
    }

    /** Decodes {@code newTokens} greedily after the {@link #PROMPT_TOKENS}-token prompt. */
    static Timing run(CausalLanguageModel model, int newTokens) {
        int[] prompt = prompt(model.config().vocabSize(), PROMPT_TOKENS);
        try (Sequence s = model.newSequence(PROMPT_TOKENS + newTokens)) {
            long start = System.nanoTime();
            int token = argmax(s.forward(prompt));
            long first = System.nanoTime();
            for (int i = 1; i < newTokens; i++) {
                token = argmax(s.forward(new int[]{token}));
            }
            long end = System.nanoTime();
            return new Timing((first - start) / 1e6, (newTokens - 1) * 1e9 / (end - first));
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
