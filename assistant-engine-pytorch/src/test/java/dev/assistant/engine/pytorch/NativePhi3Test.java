package dev.assistant.engine.pytorch;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.gguf.GgmlType;
import dev.assistant.core.gguf.GgufConverter;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.Phi3TestModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.assistant.engine.pytorch.FloatVectors.argmax;
import static dev.assistant.engine.pytorch.FloatVectors.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Phi-3 with LongRoPE on the native engine against this (pytorch) engine, which Phi3ReferenceTest checks against a
 * NumPy forward pass written from HuggingFace's modeling code: the same greedy tokens and logits within 1e-4 (f32)
 * at every step, from safetensors and from GGUF, with the trained context ({@code original_max_position_embeddings})
 * crossed at different points: by the prompt itself (4: every row of the first pass rotates by the long factors),
 * by a decode step (8 and 12: the prompt's keys stay cached in the short rotation, the steps beyond rotate long), and
 * in a ragged batch where one sequence is beyond and the other within.
 */
class NativePhi3Test {
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 7;
    /** f32 on both engines, summed in other orders: measured at most 1.9e-5. */
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}, trained context {1}")
    @CsvSource({"safetensors, 4", "safetensors, 8", "safetensors, 12", "gguf, 4", "gguf, 8", "gguf, 12"})
    void longRopeAcrossTheTrainedContextMatchesThePytorchEngine(String source, int originalContext) throws Exception {
        Path hf = Phi3TestModel.writeLongRope(tmp.resolve("hf"), 53, originalContext);
        Path path = source.equals("gguf") ? GgufConverter.convert(hf, tmp.resolve("model.gguf"), GgmlType.F32) : hf;
        ModelDirectory dir = ModelDirectory.read(path, false);
        assertThat(dir.config().ropeScaling().longRope()).isNotNull();
        LoadOptions options = LoadOptions.builder().device("cpu").build();
        assertThat(EngineProviders.discover().select(dir.config(), options).chosen())
                .hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("native"));
        try (CausalLanguageModel nativeModel = EngineProviders.discover().load(dir, options.toBuilder()
                .backend("native").build());
             CausalLanguageModel torch = TestLoading.pytorch(dir, options)) {
            double worst = 0;
            try (Sequence a = nativeModel.newSequence(PROMPT.length + STEPS + 1);
                 Sequence b = torch.newSequence(PROMPT.length + STEPS + 1)) {
                float[] ours = a.forward(PROMPT);
                float[] theirs = b.forward(PROMPT);
                for (int step = 0; step <= STEPS; step++) {
                    worst = Math.max(worst, maxDiff(ours, theirs));
                    assertThat(maxDiff(ours, theirs)).as("step %d (position %d)", step, PROMPT.length - 1 + step)
                            .isLessThan(TOLERANCE);
                    assertThat(argmax(ours)).as("greedy token %d", step).isEqualTo(argmax(theirs));
                    if (step < STEPS) {
                        int next = argmax(ours);
                        ours = a.forward(new int[]{next});
                        theirs = b.forward(new int[]{next});
                    }
                }
            }
            // a ragged pass: a short sequence within the context beside the whole prompt (beyond 4 and 8)
            int[] shortPrompt = {PROMPT[0], PROMPT[1], PROMPT[2]};
            try (Sequence a1 = nativeModel.newSequence(16); Sequence a2 = nativeModel.newSequence(16);
                 Sequence b1 = torch.newSequence(16); Sequence b2 = torch.newSequence(16)) {
                float[][] ours = nativeModel.forwardBatch(List.of(a1, a2), List.of(shortPrompt, PROMPT));
                float[][] theirs = torch.forwardBatch(List.of(b1, b2), List.of(shortPrompt, PROMPT));
                for (int s = 0; s < 2; s++) {
                    worst = Math.max(worst, maxDiff(ours[s], theirs[s]));
                    assertThat(maxDiff(ours[s], theirs[s])).as("sequence %d of a ragged pass", s).isLessThan(TOLERANCE);
                }
            }
            System.out.printf("phi3 longrope (%s, trained context %d) native vs pytorch: max |logit diff| %.2e%n",
                    source, originalContext, worst);
        }
    }
}
