package dev.assistant.engine.pytorch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Llama layers as one module call each ({@link ScriptedLlamaLayer}), float32 and INT8, against the same layers as
 * separate DJL operations: the same logits, bit for bit, for prompts, decode steps and a ragged batch of both.
 */
class ScriptedLlamaLayerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The model with its layers in libtorch (not the native library): fused modules, or separate operations. */
    private static CausalLanguageModel load(Path dir, WeightType type, boolean fused) {
        return TestLoading.pytorch(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").weightType(type).build(),
                PyTorchSettings.LAYERS, fused ? "fused" : "unfused");
    }

    @ParameterizedTest
    @EnumSource(value = WeightType.class, names = {"F32", "INT8"})
    void fusedLayersComputeWhatTheSeparateOperationsCompute(WeightType type) throws IOException {
        Path dir = SharedModels.model("stories260K");
        JsonNode cases = JSON.readTree(dir.resolve("reference/golden.json").toFile()).get("cases");
        List<int[]> prompts = new ArrayList<>();
        for (JsonNode c : cases) {
            JsonNode ids = c.get("input_ids");
            int[] prompt = new int[ids.size()];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = ids.get(i).asInt();
            }
            prompts.add(prompt);
        }
        try (CausalLanguageModel fused = load(dir, type, true);
             CausalLanguageModel separate = load(dir, type, false)) {
            assertThat(fused).isInstanceOf(LlamaScriptedModel.class);
            assertThat(separate).isInstanceOf(LlamaOpsModel.class);
            assertThat(fused.weightBytes()).isEqualTo(separate.weightBytes());
            // each prompt alone, then three decode steps
            for (int[] prompt : prompts) {
                try (Sequence a = fused.newSequence(prompt.length + 3);
                     Sequence b = separate.newSequence(prompt.length + 3)) {
                    float[] x = a.forward(prompt);
                    float[] y = b.forward(prompt);
                    assertThat(x).containsExactly(y);
                    for (int step = 0; step < 3; step++) {
                        int next = FloatVectors.argmax(x);
                        x = a.forward(new int[]{next});
                        y = b.forward(new int[]{next});
                        assertThat(x).as("decode step %d", step).containsExactly(y);
                    }
                }
            }
            // one ragged pass: two sequences decode while a third reads its prompt
            List<Sequence> mine = new ArrayList<>();
            List<Sequence> theirs = new ArrayList<>();
            try {
                List<int[]> inputs = new ArrayList<>();
                for (int s = 0; s < 3; s++) {
                    int[] prompt = prompts.get(s);
                    mine.add(fused.newSequence(prompt.length + 1));
                    theirs.add(separate.newSequence(prompt.length + 1));
                    if (s < 2) {
                        mine.get(s).forward(prompt);
                        theirs.get(s).forward(prompt);
                        inputs.add(new int[]{prompt[0]});
                    } else {
                        inputs.add(prompt);
                    }
                }
                float[][] x = fused.forwardBatch(mine, inputs);
                float[][] y = separate.forwardBatch(theirs, inputs);
                for (int s = 0; s < 3; s++) {
                    assertThat(x[s]).as("sequence %d of the ragged pass", s).containsExactly(y[s]);
                }
            } finally {
                mine.forEach(Sequence::close);
                theirs.forEach(Sequence::close);
            }
        }
    }
}
