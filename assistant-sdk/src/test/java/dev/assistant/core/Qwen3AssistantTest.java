package dev.assistant.core;

import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.NumpyReference;
import dev.assistant.core.testing.Qwen3TestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Qwen3 model through the whole SDK: auto selection picks the PyTorch engine (the native one refuses, saying why),
 * and greedy generation gives the tokens of an independent NumPy forward pass.
 */
class Qwen3AssistantTest {
    @TempDir
    Path tmp;

    @Test
    void greedyGenerationGivesTheReferenceTokens() throws Exception {
        Path dir = Qwen3TestModel.write(tmp.resolve("qwen3"), 7, 0, true);
        EngineProviders.Selection selection = EngineProviders.discover()
                .select(ModelDirectory.read(dir, false).config(), LoadOptions.builder().device("cpu").build());
        assertThat(selection.chosen()).map(p -> p.name()).contains("pytorch");
        assertThat(selection.explanation()).contains("native: cannot").contains("Qwen3ForCausalLM");

        int[] prompt = {3, 150, 299, 17, 64};
        int steps = 8;
        NumpyReference.Result reference = NumpyReference.run("qwen3_reference.py", dir, prompt, steps, tmp);
        try (Assistant assistant = Assistant.builder().modelPath(dir).device("cpu").build()) {
            assertThat(assistant.modelInfo().architecture()).isEqualTo("Qwen3ForCausalLM");
            Completion done = assistant.generate(GenerateRequest.builder().inputIds(prompt).maxNewTokens(steps).build());
            int[] out = done.outputIds();
            assertThat(out).as("no end-of-sequence token among the reference tokens").hasSize(steps);
            assertThat(out).containsExactly(reference.tokens());
        }
    }
}
