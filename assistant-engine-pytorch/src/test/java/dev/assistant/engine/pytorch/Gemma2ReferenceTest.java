package dev.assistant.engine.pytorch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.Gemma2TestModel;
import dev.assistant.core.testing.NumpyReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gemma 2 on this engine against an independent NumPy forward pass written from HuggingFace's modeling code: logits
 * within 1e-4 and the same greedy tokens over a prompt longer than the sliding window, with and without attention
 * soft-capping.
 */
class Gemma2ReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 6;

    @TempDir
    Path tmp;

    /** On both engines: the native one (which auto selection picks) and libtorch. */
    @ParameterizedTest(name = "{0}, attention soft-cap {1}")
    @CsvSource({"native, 2.0", "native, 0", "pytorch, 2.0", "pytorch, 0"})
    void logitsAndGreedyTokensMatchTheNumpyReference(String engineName, double attentionSoftcap) throws Exception {
        Path dir = Gemma2TestModel.write(tmp.resolve("gemma2"), 13, attentionSoftcap);
        ModelDirectory model = ModelDirectory.read(dir, false);
        assertThat(model.config().architecture()).isEqualTo(Architecture.GEMMA2);
        assertThat(model.config().gemma2Settings()).hasValueSatisfying(g -> {
            assertThat(g.slidingWindow()).isEqualTo(Gemma2TestModel.WINDOW);
            assertThat(g.attentionSoftcap()).isEqualTo(attentionSoftcap);
        });
        NumpyReference.Result reference = NumpyReference.run("gemma2_reference.py", dir, PROMPT, STEPS, tmp);
        assertThat(EngineProviders.discover().select(model.config(), LoadOptions.builder().device("cpu").build())
                .chosen()).hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("native"));
        try (CausalLanguageModel engine = EngineProviders.discover().load(model,
                LoadOptions.builder().device("cpu").backend(engineName).build())) {
            List<Integer> tokens = new ArrayList<>();
            try (Sequence seq = engine.newSequence(PROMPT.length + STEPS + 1)) {
                float[] logits = seq.forward(PROMPT);
                for (int step = 0; step <= STEPS; step++) {
                    assertThat(FloatVectors.maxDiff(logits, reference.logits()[step])).as("max |logit diff| at step %d", step)
                            .isLessThan(1e-4);
                    if (step == STEPS) {
                        break;
                    }
                    int next = FloatVectors.argmax(logits);
                    tokens.add(next);
                    logits = seq.forward(new int[]{next});
                }
            }
            assertThat(tokens).containsExactly(Arrays.stream(reference.tokens()).boxed().toArray(Integer[]::new));
        }
    }

    @Test
    void theSlidingWindowLimitsWhatTheEvenLayersSee() throws Exception {
        // the same weights with a window wider than the prompt: a model that ignored the window (which the reference
        // test above would then miss) could not tell the two apart
        Path narrow = Gemma2TestModel.write(tmp.resolve("narrow"), 17, 2.0);
        Path wide = Gemma2TestModel.write(tmp.resolve("wide"), 17, 2.0);
        ObjectNode config = (ObjectNode) JSON.readTree(wide.resolve("config.json").toFile());
        config.put("sliding_window", 64);
        JSON.writeValue(wide.resolve("config.json").toFile(), config);
        float[] windowed = lastLogits(narrow, PROMPT);
        assertThat(FloatVectors.maxDiff(windowed, lastLogits(wide, PROMPT))).isGreaterThan(1e-3);
        // within the window both agree
        int[] short4 = Arrays.copyOf(PROMPT, Gemma2TestModel.WINDOW);
        assertThat(FloatVectors.maxDiff(lastLogits(narrow, short4), lastLogits(wide, short4))).isLessThan(1e-6);
    }

    private static float[] lastLogits(Path dir, int[] prompt) {
        try (CausalLanguageModel engine = TestLoading.pytorch(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").build());
             Sequence seq = engine.newSequence(prompt.length)) {
            return seq.forward(prompt);
        }
    }
}
