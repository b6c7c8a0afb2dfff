package dev.assistant.engine.pytorch;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.Gemma3TestModel;
import dev.assistant.core.testing.NumpyReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gemma 3 on this engine against an independent NumPy forward pass written from HuggingFace's modeling code: logits
 * within 1e-4 and the same greedy tokens over a prompt longer than the sliding window, through 7 layers (one global),
 * per-head q/k norms, a local RoPE base beside a linearly scaled global one, with a query scale of head_dim and
 * another.
 */
class Gemma3ReferenceTest {
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 6;

    @TempDir
    Path tmp;

    /** On both engines: the native one (which auto selection picks) and libtorch. */
    @ParameterizedTest(name = "{0}, query scale {1}")
    @CsvSource({"native, 24", "native, 16", "pytorch, 24", "pytorch, 16"})
    void logitsAndGreedyTokensMatchTheNumpyReference(String engineName, int queryPreAttnScalar) throws Exception {
        Path dir = Gemma3TestModel.write(tmp.resolve("gemma3"), 23, queryPreAttnScalar);
        ModelDirectory model = ModelDirectory.read(dir, false);
        assertThat(model.config().architecture()).isEqualTo(Architecture.GEMMA3);
        assertThat(model.config().gemma2Settings()).hasValueSatisfying(g -> {
            assertThat(g.slidingLayers()).containsExactly(true, true, true, true, true, false, true);
            assertThat(g.localRopeTheta()).isEqualTo(10_000.0);
            assertThat(g.attentionSoftcap()).isZero();
        });
        NumpyReference.Result reference = NumpyReference.run("gemma3_reference.py", dir, PROMPT, STEPS, tmp);
        assertThat(EngineProviders.discover().select(model.config(), LoadOptions.builder().device("cpu").build())
                .chosen()).hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("native"));
        try (CausalLanguageModel engine = EngineProviders.discover().load(model,
                LoadOptions.builder().device("cpu").backend(engineName).build())) {
            List<Integer> tokens = new ArrayList<>();
            double worst = 0;
            try (Sequence seq = engine.newSequence(PROMPT.length + STEPS + 1)) {
                float[] logits = seq.forward(PROMPT);
                for (int step = 0; step <= STEPS; step++) {
                    double diff = FloatVectors.maxDiff(logits, reference.logits()[step]);
                    worst = Math.max(worst, diff);
                    assertThat(diff).as("max |logit diff| at step %d", step).isLessThan(1e-4);
                    if (step == STEPS) {
                        break;
                    }
                    int next = FloatVectors.argmax(logits);
                    tokens.add(next);
                    logits = seq.forward(new int[]{next});
                }
            }
            assertThat(tokens).containsExactly(Arrays.stream(reference.tokens()).boxed().toArray(Integer[]::new));
            System.out.printf("Gemma 3 on %s (query scale %d) vs NumPy: max |logit diff| %.2e%n", engineName,
                    queryPreAttnScalar, worst);
        }
    }
}
