package dev.assistant.engine.cpu;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.engine.pytorch.PyTorchEngineProvider;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The native forward pass is a run-time choice: where its library cannot load (simulated: another platform, or a
 * build without gcc), the native engine refuses with the reason and a Llama model runs on the PyTorch engine, to the
 * same greedy tokens.
 */
class NativeFallbackTest {
    @Test
    void llamaFallsBackToPytorchWhereTheNativeLibraryDoesNotLoad() {
        ModelDirectory dir = ModelDirectory.read(SharedModels.model("stories260K"), false);
        NativeEngineProvider withoutLibrary = new NativeEngineProvider(
                () -> Optional.of("no native build for Mac OS X on aarch64"));
        EngineProviders engines = EngineProviders.of(List.of(withoutLibrary, new PyTorchEngineProvider()));
        EngineProviders.Selection selection = engines.select(dir.config(), LoadOptions.defaults());
        assertThat(selection.chosen()).map(p -> p.name()).contains("pytorch");
        assertThat(selection.explanation()).contains("native: cannot, its native library does not load here: "
                + "no native build for Mac OS X on aarch64");

        int[] fallback;
        int[] preferred;
        try (CausalLanguageModel model = engines.load(dir, LoadOptions.builder().device("cpu").build())) {
            assertThat(model.getClass().getPackageName()).isEqualTo("dev.assistant.engine.pytorch");
            fallback = greedy(model, 12);
        }
        try (CausalLanguageModel model = EngineProviders.discover().load(dir, LoadOptions.builder().device("cpu")
                .build())) {
            assertThat(model).isInstanceOf(NativeLlamaModel.class);
            preferred = greedy(model, 12);
        }
        assertThat(fallback).containsExactly(preferred);
    }

    private static int[] greedy(CausalLanguageModel model, int steps) {
        int[] out = new int[steps];
        try (Sequence s = model.newSequence(steps + 1)) {
            float[] logits = s.forward(new int[]{1});
            for (int i = 0; i < steps; i++) {
                int best = 0;
                for (int j = 1; j < logits.length; j++) {
                    if (logits[j] > logits[best]) {
                        best = j;
                    }
                }
                out[i] = best;
                if (i + 1 < steps) {
                    logits = s.forward(new int[]{best});
                }
            }
        }
        return out;
    }
}
