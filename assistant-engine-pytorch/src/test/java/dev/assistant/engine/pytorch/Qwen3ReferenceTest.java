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
import dev.assistant.core.quantize.ModelQuantizer;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.SafetensorsFile;
import dev.assistant.core.testing.NumpyReference;
import dev.assistant.core.testing.Qwen3TestModel;
import dev.assistant.quant.QuantScheme;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Qwen3 on this engine against an independent NumPy forward pass (float64, whole sequence recomputed every step,
 * written from HuggingFace's modeling code; run through {@code python3}, which needs NumPy): logits within 1e-4 and
 * the same greedy tokens, for random weights of a shape whose head_dim differs from hidden / heads.
 */
class Qwen3ReferenceTest {
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 6;

    @TempDir
    Path tmp;

    /** On both engines (auto selection picks the native one: it applies the head norms itself). */
    @ParameterizedTest
    @ValueSource(strings = {"native", "pytorch"})
    void logitsAndGreedyTokensMatchTheNumpyReference(String engineName) throws Exception {
        Path dir = Qwen3TestModel.write(tmp.resolve("qwen3"), 11, 0, true);
        ModelDirectory model = ModelDirectory.read(dir, false);
        assertThat(model.config().architecture()).isEqualTo(Architecture.QWEN3);
        assertThat(model.config().headDim()).isEqualTo(Qwen3TestModel.HEAD_DIM);
        assertThat(model.config().maxPositionEmbeddings()).as("sliding_window without use_sliding_window").isEqualTo(128);
        assertThat(EngineProviders.discover().select(model.config(), LoadOptions.builder().device("cpu").build())
                .chosen()).hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("native"));
        try (CausalLanguageModel engine = EngineProviders.discover().load(model,
                LoadOptions.builder().device("cpu").backend(engineName).build())) {
            assertMatchesReference(engine, dir);
        }
    }

    @Test
    void theNativeEngineAppliesTheKeyNormPerHeadToo() throws Exception {
        Path shifted = Qwen3TestModel.write(tmp.resolve("shifted-native"), 21, 1.5f, true);
        try (CausalLanguageModel engine = EngineProviders.discover().load(ModelDirectory.read(shifted, false),
                LoadOptions.builder().device("cpu").backend("native").build())) {
            assertMatchesReference(engine, shifted);
        }
    }

    @Test
    void theKeyNormIsAppliedPerHead() throws Exception {
        // same weights but k_norm shifted: a model that skipped the key norm (or applied it across heads) would give
        // the same logits for both, or miss the reference for one
        Path plain = Qwen3TestModel.write(tmp.resolve("plain"), 21, 0, true);
        Path shifted = Qwen3TestModel.write(tmp.resolve("shifted"), 21, 1.5f, true);
        float[] plainLogits;
        try (CausalLanguageModel engine = pytorch(plain)) {
            plainLogits = lastLogits(engine, PROMPT);
        }
        try (CausalLanguageModel engine = pytorch(shifted)) {
            float[] shiftedLogits = lastLogits(engine, PROMPT);
            assertThat(maxDiff(plainLogits, shiftedLogits)).isGreaterThan(1e-2);
            assertMatchesReference(engine, shifted);
        }
    }

    @Test
    void int8WeightsKeepTheFloatModelsFirstToken() throws Exception {
        // the linear layers go INT8; the q/k norms stay float and still apply
        Path dir = Qwen3TestModel.write(tmp.resolve("int8"), 51, 0, true);
        float[] f32;
        try (CausalLanguageModel engine = pytorch(dir)) {
            f32 = lastLogits(engine, PROMPT);
        }
        try (CausalLanguageModel engine = TestLoading.pytorch(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").weightType(WeightType.INT8).build())) {
            float[] int8 = lastLogits(engine, PROMPT);
            double range = Arrays.stream(floatsToDoubles(f32)).map(Math::abs).max().orElseThrow();
            assertThat(maxDiff(int8, f32)).as("INT8 error relative to the largest logit %s", range)
                    .isLessThan(0.05 * range).isGreaterThan(0);
            assertThat(FloatVectors.argmax(int8)).isEqualTo(FloatVectors.argmax(f32));
        }
    }

    @Test
    void anOfflineQuantizedDirectoryQuantizesTheLinearsKeepsTheNormsAndReloadsToTheSameLogits() throws Exception {
        Path dir = Qwen3TestModel.write(tmp.resolve("src"), 61, 0, true);
        Path out = tmp.resolve("q");
        new ModelQuantizer(QuantScheme.perGroup(32), true).quantize(dir, out, ModelQuantizer.Progress.NONE);
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertThat(f.tensors().get("model.layers.1.self_attn.q_proj.weight").dtype()).isEqualTo(DType.I8);
            assertThat(f.tensors().get("model.layers.1.self_attn.q_norm.weight").dtype()).isEqualTo(DType.F32);
            assertThat(f.tensors().get("model.layers.1.self_attn.k_norm.weight").dtype()).isEqualTo(DType.F32);
        }
        float[] atLoad;
        try (CausalLanguageModel engine = TestLoading.pytorch(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").weightType(WeightType.INT8).quantGroupSize(32).build())) {
            atLoad = lastLogits(engine, PROMPT);
        }
        try (CausalLanguageModel engine = pytorch(out)) {
            assertThat(lastLogits(engine, PROMPT)).containsExactly(atLoad);
        }
    }

    private static double[] floatsToDoubles(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    @Test
    void aMissingQueryNormIsAnInvalidModelNamingTheTensor() throws Exception {
        Path dir = Qwen3TestModel.write(tmp.resolve("broken"), 31, 0, false);
        assertThatThrownBy(() -> pytorch(dir).close())
                .isInstanceOfSatisfying(AssistantException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("model.layers.0.self_attn.q_norm.weight");
    }

    @Test
    void theNativeEngineKeepsTheFloatModelsFirstTokenInInt8() throws Exception {
        // per-channel INT8 products natively; the head norms stay float and still apply
        Path dir = Qwen3TestModel.write(tmp.resolve("native-int8"), 41, 0, true);
        ModelDirectory model = ModelDirectory.read(dir, false);
        float[] f32;
        float[] int8;
        try (CausalLanguageModel engine = EngineProviders.discover().load(model,
                LoadOptions.builder().device("cpu").backend("native").build())) {
            f32 = lastLogits(engine, PROMPT);
        }
        try (CausalLanguageModel engine = EngineProviders.discover().load(model,
                LoadOptions.builder().device("cpu").backend("native").weightType(WeightType.INT8).build())) {
            int8 = lastLogits(engine, PROMPT);
        }
        assertThat(maxDiff(int8, f32)).isGreaterThan(0);
        assertThat(FloatVectors.argmax(int8)).isEqualTo(FloatVectors.argmax(f32));
    }

    private static CausalLanguageModel pytorch(Path dir) {
        return TestLoading.pytorch(ModelDirectory.read(dir, false), LoadOptions.builder().device("cpu").build());
    }

    private void assertMatchesReference(CausalLanguageModel engine, Path dir) throws Exception {
        NumpyReference.Result reference = NumpyReference.run("qwen3_reference.py", dir, PROMPT, STEPS, tmp);
        List<Integer> tokens = new ArrayList<>();
        try (Sequence seq = engine.newSequence(PROMPT.length + STEPS + 1)) {
            float[] logits = seq.forward(PROMPT);
            for (int step = 0; step <= STEPS; step++) {
                float[] expected = reference.logits()[step];
                assertThat(logits).hasSize(expected.length);
                assertThat(maxDiff(logits, expected)).as("max |logit diff| at step %d", step).isLessThan(1e-4);
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

    private static float[] lastLogits(CausalLanguageModel engine, int[] prompt) {
        try (Sequence seq = engine.newSequence(prompt.length + 1)) {
            return seq.forward(prompt);
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
