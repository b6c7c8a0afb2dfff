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
 * A Qwen3 model through the whole SDK: auto selection picks the native engine (which applies the per-head q/k norms
 * itself; the PyTorch engine is the fallback), and greedy generation gives the tokens of an independent NumPy forward
 * pass.
 */
class Qwen3AssistantTest {
    @TempDir
    Path tmp;

    @Test
    void greedyGenerationGivesTheReferenceTokens() throws Exception {
        Path dir = Qwen3TestModel.write(tmp.resolve("qwen3"), 7, 0, true);
        EngineProviders.Selection selection = EngineProviders.discover()
                .select(ModelDirectory.read(dir, false).config(), LoadOptions.builder().device("cpu").build());
        assertThat(selection.chosen()).map(p -> p.name()).contains("native");
        assertThat(selection.explanation()).contains("Qwen3 on the CPU").contains("pytorch: can run it (rank 10)");

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
