package dev.assistant.engine.pytorch;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.gguf.GgmlType;
import dev.assistant.core.gguf.GgufConverter;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.LongRope;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.RopeScaling;
import dev.assistant.core.testing.Gemma2TestModel;
import dev.assistant.core.testing.Gemma3TestModel;
import dev.assistant.core.testing.Phi3TestModel;
import dev.assistant.core.testing.Qwen3TestModel;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Qwen3, Gemma 2, Gemma 3 and Phi-3 random-weight models converted to GGUF F32 the way llama.cpp's converter stores
 * them (its tensor names and metadata; Gemma's norms as 1 + w; Phi-3's fused qkv and gate_up, and its LongRoPE factors
 * as two tensors) load as the same model:
 * the config the GGUF metadata implies equals config.json's where the engines read it, and the greedy tokens and the
 * logits of every step equal the safetensors' (within 1e-5).
 */
class GgufArchitecturesTest {
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 8;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "gemma2", "gemma3", "phi3", "phi3-longrope"})
    void anF32GgufRunsLikeItsSafetensors(String family) throws Exception {
        Path hf = switch (family) {
            case "qwen3" -> Qwen3TestModel.write(tmp.resolve("hf"), 41, 0, true);
            case "gemma2" -> Gemma2TestModel.write(tmp.resolve("hf"), 41, 2.0, Gemma2TestModel.HEAD_DIM, 3);
            case "gemma3" -> Gemma3TestModel.write(tmp.resolve("hf"), 41, Gemma3TestModel.HEAD_DIM);
            case "phi3" -> Phi3TestModel.write(tmp.resolve("hf"), 41, null);
            // the prompt is beyond the trained context of 4: the long factors rotate every row
            case "phi3-longrope" -> Phi3TestModel.writeLongRope(tmp.resolve("hf"), 41, 4);
            default -> throw new IllegalArgumentException(family);
        };
        Path gguf = GgufConverter.convert(hf, tmp.resolve("model-f32.gguf"), GgmlType.F32);
        ModelDirectory fromHf = ModelDirectory.read(hf, false);
        ModelDirectory fromGguf = ModelDirectory.read(gguf, false);
        assertSameShape(fromGguf.config(), fromHf.config());

        float[][] expected = greedyLogits(fromHf);
        float[][] actual = greedyLogits(fromGguf);
        double worst = 0;
        for (int step = 0; step < expected.length; step++) {
            assertThat(argmax(actual[step])).as("greedy token %d", step).isEqualTo(argmax(expected[step]));
            for (int i = 0; i < expected[step].length; i++) {
                worst = Math.max(worst, Math.abs(actual[step][i] - expected[step][i]));
            }
        }
        assertThat(worst).as("max |logit diff| GGUF vs safetensors").isLessThanOrEqualTo(1e-5);
        System.out.printf("%s GGUF F32 vs safetensors: max |logit diff| %.2e over %d steps%n", family, worst, STEPS + 1);
    }

    private static void assertSameShape(ModelConfig gguf, ModelConfig hf) {
        assertThat(gguf.architecture()).isEqualTo(hf.architecture());
        assertThat(gguf.architectureName()).isEqualTo(hf.architectureName());
        assertThat(new int[]{gguf.hiddenSize(), gguf.intermediateSize(), gguf.numLayers(), gguf.numHeads(),
                gguf.numKvHeads(), gguf.headDim(), gguf.vocabSize(), gguf.maxPositionEmbeddings()})
                .containsExactly(hf.hiddenSize(), hf.intermediateSize(), hf.numLayers(), hf.numHeads(),
                        hf.numKvHeads(), hf.headDim(), hf.vocabSize(), hf.maxPositionEmbeddings());
        assertThat(gguf.ropeTheta()).isEqualTo(hf.ropeTheta());
        assertThat(asFloats(gguf.ropeScaling())).isEqualTo(asFloats(hf.ropeScaling()));
        assertThat(gguf.tieWordEmbeddings()).isEqualTo(hf.tieWordEmbeddings());
        assertThat(gguf.attentionBias()).isEqualTo(hf.attentionBias());
        assertThat(gguf.gemma2Settings()).isEqualTo(hf.gemma2Settings());
    }

    /** GGUF stores LongRoPE's factors as float32: the scaling as it computes, every number rounded to float. */
    private static String asFloats(RopeScaling r) {
        LongRope l = r.longRope();
        return r.type() + " " + (float) r.factor() + " " + r.originalMaxPositionEmbeddings() + (l == null ? ""
                : " " + l.shortFactor().stream().map(Double::floatValue).toList() + " "
                + l.longFactor().stream().map(Double::floatValue).toList() + " " + (float) l.attentionFactor());
    }

    /** The logits after the prompt and after each greedy token, on this engine. */
    private static float[][] greedyLogits(ModelDirectory dir) {
        float[][] out = new float[STEPS + 1][];
        try (CausalLanguageModel model = TestLoading.pytorch(dir, LoadOptions.builder().device("cpu").build());
             Sequence seq = model.newSequence(PROMPT.length + STEPS + 1)) {
            out[0] = seq.forward(PROMPT);
            for (int step = 1; step <= STEPS; step++) {
                out[step] = seq.forward(new int[]{argmax(out[step - 1])});
            }
        }
        return out;
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
