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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Phi-3 (fused qkv_proj and gate_up_proj) on this engine against an independent NumPy forward pass written from
 * HuggingFace's modeling code: logits within 1e-4 and the same greedy tokens. LongRoPE is refused clearly.
 */
class Phi3ReferenceTest {
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 6;

    @TempDir
    Path tmp;

    @Test
    void logitsAndGreedyTokensMatchTheNumpyReference() throws Exception {
        Path dir = Phi3TestModel.write(tmp.resolve("phi3"), 19, null);
        ModelDirectory model = ModelDirectory.read(dir, false);
        assertThat(model.config().architecture()).isEqualTo(Architecture.PHI3);
        NumpyReference.Result reference = NumpyReference.run("phi3_reference.py", dir, PROMPT, STEPS, tmp);
        // auto selection: the native engine refuses Phi-3, so this one runs it
        try (CausalLanguageModel engine = EngineProviders.discover().load(model,
                LoadOptions.builder().device("cpu").build())) {
            List<Integer> tokens = new ArrayList<>();
            try (Sequence seq = engine.newSequence(PROMPT.length + STEPS + 1)) {
                float[] logits = seq.forward(PROMPT);
                for (int step = 0; step <= STEPS; step++) {
                    assertThat(maxDiff(logits, reference.logits()[step])).as("max |logit diff| at step %d", step)
                            .isLessThan(1e-4);
                    if (step == STEPS) {
                        break;
                    }
                    int next = argmax(logits);
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
        assertThat(maxDiff(int8, f32)).isGreaterThan(0).isLessThan(0.05 * maxAbs(f32));
        assertThat(argmax(int8)).isEqualTo(argmax(f32));
    }

    @Test
    void longRopeIsRefusedNamingTheField() throws Exception {
        Path dir = Phi3TestModel.write(tmp.resolve("longrope"), 29,
                "{\"type\": \"longrope\", \"short_factor\": [1.0], \"long_factor\": [2.0]}");
        assertThatThrownBy(() -> ModelDirectory.read(dir, false))
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("rope_scaling").hasMessageContaining("longrope");
    }

    private static float[] lastLogits(Path dir, LoadOptions options) {
        try (CausalLanguageModel engine = TestLoading.pytorch(ModelDirectory.read(dir, false), options);
             Sequence seq = engine.newSequence(PROMPT.length)) {
            return seq.forward(PROMPT);
        }
    }

    private static double maxAbs(float[] v) {
        double max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        return max;
    }

    private static double maxDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
