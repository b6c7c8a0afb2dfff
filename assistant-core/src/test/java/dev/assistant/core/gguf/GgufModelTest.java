package dev.assistant.core.gguf;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.model.ModelConfig;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.TensorReader;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** stories260K converted to GGUF reads back as the same config and, for F32, bit-identical tensors. */
class GgufModelTest {
    @TempDir
    Path tmp;

    private static float[] floats(TensorReader reader, TensorInfo t) {
        return reader.withFloats(t, fb -> {
            float[] v = new float[fb.remaining()];
            fb.get(v);
            return v;
        });
    }

    @Test
    void f32GgufGivesTheSafetensorsConfigAndExactlyTheSameTensors() throws IOException {
        Path hf = SharedModels.model("stories260K");
        Path gguf = GgufConverter.convert(hf, tmp.resolve("stories260K.gguf"), GgmlType.F32);
        ModelDirectory st = ModelDirectory.read(hf, false);
        ModelDirectory gd = ModelDirectory.read(gguf, false);
        ModelConfig a = st.config();
        ModelConfig b = gd.config();
        assertThat(gd.isGguf()).isTrue();
        assertThat(gd.defaultName()).isEqualTo("stories260K");
        assertThat(b.architecture()).isEqualTo(a.architecture());
        assertThat(b.architectureName()).isEqualTo("LlamaForCausalLM");
        assertThat(new int[]{b.hiddenSize(), b.intermediateSize(), b.numLayers(), b.numHeads(), b.numKvHeads(),
                b.headDim(), b.vocabSize(), b.maxPositionEmbeddings(), b.bosTokenId()})
                .containsExactly(a.hiddenSize(), a.intermediateSize(), a.numLayers(), a.numHeads(), a.numKvHeads(),
                        a.headDim(), a.vocabSize(), a.maxPositionEmbeddings(), a.bosTokenId());
        assertThat(b.normEps()).isEqualTo((double) (float) a.normEps());
        assertThat(b.ropeTheta()).isEqualTo(a.ropeTheta());
        assertThat(b.tieWordEmbeddings()).isEqualTo(a.tieWordEmbeddings()).isTrue();
        try (WeightStore s = st.openWeights(); WeightStore g = gd.openWeights()) {
            assertThat(g.tensors().keySet()).containsExactlyInAnyOrderElementsOf(s.tensors().keySet());
            TensorReader rs = new TensorReader(s);
            TensorReader rg = new TensorReader(g);
            for (TensorInfo t : s.tensors().values()) {
                TensorInfo u = g.require(t.name(), t.shape());
                assertThat(floats(rg, u)).as(t.name()).containsExactly(floats(rs, t));
            }
        }
    }

    @Test
    void q8_0GgufIsCloseToTheFloatWeights() throws IOException {
        Path hf = SharedModels.model("stories260K");
        Path gguf = GgufConverter.convert(hf, tmp.resolve("q8.gguf"), GgmlType.Q8_0);
        assertThat(Files.size(gguf)).isLessThan(Files.size(hf.resolve("model.safetensors")) / 2); // norms stay F32, vocab metadata
        try (WeightStore s = ModelDirectory.read(hf, false).openWeights();
             WeightStore g = ModelDirectory.read(gguf, false).openWeights()) {
            TensorReader rs = new TensorReader(s);
            TensorReader rg = new TensorReader(g);
            for (TensorInfo t : s.tensors().values()) {
                float[] want = floats(rs, t);
                float[] got = floats(rg, g.require(t.name(), t.shape()));
                float max = 0;
                for (float v : want) {
                    max = Math.max(max, Math.abs(v));
                }
                for (int i = 0; i < want.length; i++) {
                    // half a quantization step (scale = block max/127) plus the float16 rounding of the scale (127 * 2^-11 steps)
                    assertThat(got[i]).as(t.name() + "[" + i + "]").isCloseTo(want[i],
                            org.assertj.core.data.Offset.offset(max / 127f * 0.6f));
                }
            }
        }
    }

    @Test
    void unpermuteInvertsLlamaCppsPermutation() {
        float[] w = new float[16 * 3];
        for (int i = 0; i < w.length; i++) {
            w[i] = i;
        }
        long[] shape = {16, 3};
        float[] permuted = GgufConverter.permute(w, 2, shape);
        // head 0, d = 8: GGUF row 1 (j = 0, t = 1) is HF row 4
        assertThat(permuted[3]).isEqualTo(w[4 * 3]);
        assertThat(GgufModel.unpermuteRows(permuted, 2, shape)).containsExactly(w);
    }

    @Test
    void unsupportedArchitectureIsInvalidNamingIt() throws IOException {
        Path file = tmp.resolve("m.gguf");
        Files.write(file, new GgufBytes().string("general.architecture", "mamba").build());
        assertThatThrownBy(() -> ModelDirectory.read(file, false))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    assertThat(e.getMessage()).contains("'mamba'").contains("llama").contains("qwen2");
                });
    }

    @Test
    void missingMetadataIsInvalidNamingTheKey() throws IOException {
        Path file = tmp.resolve("m.gguf");
        Files.write(file, new GgufBytes().string("general.architecture", "llama").build());
        assertThatThrownBy(() -> ModelDirectory.read(file, false))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    assertThat(e.getMessage()).contains("llama.");
                });
    }
}
