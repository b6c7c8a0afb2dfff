package dev.assistant.engine.pytorch;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.Architecture;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.NumpyReference;
import dev.assistant.core.testing.Phi3TestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.core.model.LongRope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Phi-3 (fused qkv_proj and gate_up_proj) on this engine against an independent NumPy forward pass written from
 * HuggingFace's modeling code: logits within 1e-4 and the same greedy tokens, with plain RoPE and with LongRoPE.
 */
class Phi3ReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 6;

    @TempDir
    Path tmp;

    /** On both engines: the native one runs Phi-3 with plain RoPE in f32 (and is then chosen), this one anything. */
    @ParameterizedTest
    @ValueSource(strings = {"native", "pytorch"})
    void logitsAndGreedyTokensMatchTheNumpyReference(String engineName) throws Exception {
        Path dir = Phi3TestModel.write(tmp.resolve("phi3"), 19, null);
        ModelDirectory model = ModelDirectory.read(dir, false);
        assertThat(model.config().architecture()).isEqualTo(Architecture.PHI3);
        NumpyReference.Result reference = NumpyReference.run("phi3_reference.py", dir, PROMPT, STEPS, tmp);
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
    void int8WeightsKeepTheFloatModelsFirstToken() throws Exception {
        // the fused matrices are quantized as single linear layers
        Path dir = Phi3TestModel.write(tmp.resolve("int8"), 23, null);
        float[] f32 = lastLogits(dir, LoadOptions.builder().device("cpu").build());
        float[] int8 = lastLogits(dir, LoadOptions.builder().device("cpu").weightType(WeightType.INT8).build());
        assertThat(FloatVectors.maxDiff(int8, f32)).isGreaterThan(0).isLessThan(0.05 * FloatVectors.maxAbs(f32));
        assertThat(FloatVectors.argmax(int8)).isEqualTo(FloatVectors.argmax(f32));
    }

    /**
     * LongRoPE with a trained context of 32 (the whole run stays within it: short factors) and of 4 (the prompt is
     * already beyond it: long factors from the first pass on, as a whole-sequence recomputation has them); both
     * scale cos/sin by sqrt(1 + ln(128 / original) / ln(original)).
     */
    @ParameterizedTest
    @ValueSource(ints = {32, 4})
    void longRopeMatchesTheNumpyReference(int originalContext) throws Exception {
        SplittableRandom rng = new SplittableRandom(originalContext);
        String factors = "{\"type\": \"longrope\", \"short_factor\": " + factors(rng) + ", \"long_factor\": "
                + factors(rng) + "}";
        Path dir = Phi3TestModel.write(tmp.resolve("longrope" + originalContext), 31, factors);
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        config.put("original_max_position_embeddings", originalContext);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        ModelDirectory model = ModelDirectory.read(dir, false);
        LongRope longRope = model.config().ropeScaling().longRope();
        assertThat(longRope.originalMaxPositions()).isEqualTo(originalContext);
        assertThat(longRope.attentionFactor())
                .isCloseTo(Math.sqrt(1 + Math.log(128.0 / originalContext) / Math.log(originalContext)), within(1e-12));
        NumpyReference.Result reference = NumpyReference.run("phi3_reference.py", dir, PROMPT, STEPS, tmp);
        try (CausalLanguageModel engine = EngineProviders.discover().load(model,
                LoadOptions.builder().device("cpu").build());
             Sequence seq = engine.newSequence(PROMPT.length + STEPS + 1)) {
            float[] logits = seq.forward(PROMPT);
            for (int step = 0; step <= STEPS; step++) {
                assertThat(FloatVectors.maxDiff(logits, reference.logits()[step])).as("max |logit diff| at step %d", step)
                        .isLessThan(1e-4);
                if (step == STEPS) {
                    break;
                }
                assertThat(FloatVectors.argmax(logits)).isEqualTo(reference.tokens()[step]);
                logits = seq.forward(new int[]{FloatVectors.argmax(logits)});
            }
        }
    }

    @Test
    void longRopeFactorsOfTheWrongLengthAreRefusedNamingTheField() throws Exception {
        Path dir = Phi3TestModel.write(tmp.resolve("longrope"), 29,
                "{\"type\": \"longrope\", \"short_factor\": [1.0], \"long_factor\": [2.0]}");
        assertThatThrownBy(() -> ModelDirectory.read(dir, false))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("rope_scaling.short_factor").hasMessageContaining("8");
    }

    /** head_dim / 2 = 8 factors in [1, 4). */
    private static String factors(SplittableRandom rng) {
        StringBuilder b = new StringBuilder("[");
        for (int j = 0; j < Phi3TestModel.HIDDEN / Phi3TestModel.HEADS / 2; j++) {
            b.append(j == 0 ? "" : ", ").append(1 + 3 * rng.nextDouble());
        }
        return b.append("]").toString();
    }

    private static float[] lastLogits(Path dir, LoadOptions options) {
        try (CausalLanguageModel engine = TestLoading.pytorch(ModelDirectory.read(dir, false), options);
             Sequence seq = engine.newSequence(PROMPT.length)) {
            return seq.forward(PROMPT);
        }
    }
}
