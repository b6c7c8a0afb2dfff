package dev.assistant.bench.structured;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.demo.DemoModels;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.generation.TokenConstraint;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.structured.ResponseFormat;
import dev.assistant.core.structured.StructuredOutput;
import dev.assistant.core.tokenizer.ModelTokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The structured-output mask per token as a share of a decode step, measured in one process in alternating rounds
 * (decode steps, then the mask over a whole answer), so that both see the same machine: on a shared host the speed a
 * process gets drifts within minutes. The mask round does what decoding does per token: compute the allowed set,
 * copy the logits and set every forbidden one to negative infinity.
 *
 * <p>Usage: {@code MaskRatio [DTYPE=f32] [THREADS=1] [PAIRS=7]} on the SmolLM-135M-shape demo model (49,152-token
 * tokenizer). Prints each pair and the median, minimum and maximum of mask-per-token over decode-step.
 */
public final class MaskRatio {
    private MaskRatio() {
    }

    public static void main(String[] args) throws Exception {
        String dtype = args.length > 0 ? args[0] : "f32";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int pairs = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        Path dir = DemoModels.ensure(DemoModels.defaultCacheDir(), ModelShape.SMOLLM_135M, DemoModels.DEFAULT_SEED);
        try (ModelTokenizer tokenizer = ModelTokenizer.load(dir);
             CausalLanguageModel model = EngineProviders.discover().named("pytorch").orElseThrow().load(ModelDirectory.read(dir, false), LoadOptions.builder()
                     .device("cpu").weightType(WeightType.parse(dtype)).threads(threads).build());
             Sequence sequence = model.newSequence(128)) {
            StructuredOutput structured = new StructuredOutput(tokenizer);
            TokenConstraint.Factory schema = structured.constraint(ResponseFormat.jsonSchema("person",
                    new ObjectMapper().readTree(MaskBenchmark.SCHEMA), true));
            int[] answer = tokenizer.encode(MaskBenchmark.ANSWER, false);
            int[] prompt = new int[64];
            Arrays.setAll(prompt, i -> 300 + i * 7);
            float[] logits = sequence.forward(prompt);
            double[] ratios = new double[pairs];
            for (int round = -2; round < pairs; round++) { // two warm-up rounds
                long t0 = System.nanoTime();
                int steps = 32;
                for (int i = 0; i < steps; i++) {
                    logits = sequence.forward(new int[]{1234});
                    sequence.truncate(64);
                }
                double stepNanos = (System.nanoTime() - t0) / (double) steps;
                long t1 = System.nanoTime();
                int repeats = 4;
                float sink = 0;
                for (int r = 0; r < repeats; r++) {
                    sink += maskAnswer(schema.create(), answer, logits, tokenizer.vocabSize());
                }
                double maskNanos = (System.nanoTime() - t1) / (double) (repeats * answer.length);
                if (round >= 0) {
                    ratios[round] = maskNanos / stepNanos;
                    System.out.printf(Locale.ROOT, "{\"pair\":%d,\"decode_step_us\":%.1f,\"mask_per_token_us\":%.1f,"
                            + "\"ratio\":%.5f,\"sink\":%.0f}%n", round, stepNanos / 1e3, maskNanos / 1e3, ratios[round], sink);
                }
            }
            Arrays.sort(ratios);
            System.out.printf(Locale.ROOT, "{\"vocab\":%d,\"answer_tokens\":%d,\"dtype\":\"%s\",\"threads\":%d,"
                    + "\"mask_over_step_median\":%.5f,\"min\":%.5f,\"max\":%.5f}%n", tokenizer.vocabSize(), answer.length,
                    dtype, threads, ratios[pairs / 2], ratios[0], ratios[pairs - 1]);
        }
    }

    /** What decoding does per token of the answer; returns a value so the work cannot be skipped. */
    private static float maskAnswer(TokenConstraint c, int[] answer, float[] logits, int vocab) {
        long[] allowed = new long[(vocab + 63) / 64];
        float sink = 0;
        for (int i = 0; i < answer.length; i++) {
            Arrays.fill(allowed, 0);
            c.allowedTokens(allowed, 256 - i);
            float[] scores = Arrays.copyOf(logits, Math.min(logits.length, vocab));
            for (int id = 0; id < scores.length; id++) {
                if ((allowed[id >>> 6] & (1L << id)) == 0) {
                    scores[id] = Float.NEGATIVE_INFINITY;
                }
            }
            sink += scores[answer[i]];
            c.accept(answer[i]);
        }
        return sink;
    }
}
