package dev.assistant.core.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.Assistant;
import dev.assistant.core.Completion;
import dev.assistant.core.GenerateRequest;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProvider;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * stories260K converted to GGUF runs on each engine like its safetensors: F32 gives the golden greedy tokens and the
 * safetensors logits (1e-5), Q8_0 (dequantized to float32 at load) stays close.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GgufModelSourceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;
    private Path hf;
    private Path f32;
    private Path q8;
    private JsonNode golden;

    @BeforeAll
    void convert() throws Exception {
        hf = SharedModels.model("stories260K");
        f32 = GgufConverter.convert(hf, tmp.resolve("stories260K-f32.gguf"), GgmlType.F32);
        q8 = GgufConverter.convert(hf, tmp.resolve("stories260K-q8_0.gguf"), GgmlType.Q8_0);
        golden = JSON.readTree(hf.resolve("reference/golden.json").toFile());
    }

    private static CausalLanguageModel load(String engine, Path model) {
        EngineProvider provider = EngineProviders.discover().named(engine).orElseThrow();
        return EngineProviders.of(List.of(provider)).load(ModelDirectory.read(model, false),
                LoadOptions.builder().device("cpu").build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "pytorch"})
    void f32GgufGivesTheGoldenGreedyTokensAndTheSafetensorsLogits(String engine) {
        for (JsonNode c : golden.get("cases")) {
            int[] input = ints(c.get("input_ids"));
            Run fromSafetensors;
            Run fromGguf;
            try (CausalLanguageModel m = load(engine, hf)) {
                fromSafetensors = greedy(m, input, 32);
            }
            try (CausalLanguageModel m = load(engine, f32)) {
                fromGguf = greedy(m, input, 32);
            }
            assertThat(fromGguf.tokens).as(c.get("prompt").asText()).containsExactly(ints(c.get("greedy_new_ids")));
            assertThat(fromGguf.tokens).containsExactly(fromSafetensors.tokens);
            assertThat(maxDiff(fromGguf.firstLogits, fromSafetensors.firstLogits)).isLessThanOrEqualTo(1e-5f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "pytorch"})
    void q8_0GgufStaysCloseToTheFloatModel(String engine) {
        JsonNode c = golden.get("cases").get(0);
        int[] input = ints(c.get("input_ids"));
        Run fromSafetensors;
        Run fromGguf;
        try (CausalLanguageModel m = load(engine, hf)) {
            fromSafetensors = greedy(m, input, 1);
        }
        try (CausalLanguageModel m = load(engine, q8)) {
            fromGguf = greedy(m, input, 1);
        }
        assertThat(fromGguf.tokens).containsExactly(fromSafetensors.tokens);
        // measured 0.152 on both engines (block-wise 8-bit weights with float16 scales on a 260K-parameter model)
        assertThat(maxDiff(fromGguf.firstLogits, fromSafetensors.firstLogits)).isLessThan(0.25f);
    }

    @org.junit.jupiter.api.Test
    void theAssistantApiRunsAGgufFileWithItsOwnTokenizerLikeTheSafetensorsModel() {
        JsonNode c = golden.get("cases").get(0);
        GenerateRequest request = GenerateRequest.builder().prompt(c.get("prompt").asText()).maxNewTokens(32)
                .ignoreStops(true).build();
        Completion fromSafetensors;
        try (Assistant assistant = Assistant.builder().modelPath(hf).device("cpu").workers(1).build()) {
            fromSafetensors = assistant.generate(request);
        }
        try (Assistant assistant = Assistant.builder().modelPath(f32).device("cpu").workers(1).backend("pytorch").build()) {
            assertThat(assistant.modelInfo().engine()).isEqualTo("pytorch");
        }
        try (Assistant assistant = Assistant.builder().modelPath(f32).device("cpu").workers(1).build()) {
            Completion done = assistant.generate(request);
            assertThat(assistant.modelInfo().engine()).isEqualTo("native"); // auto: Llama on x86-64
            assertThat(done.inputIds()).containsExactly(ints(c.get("input_ids")));
            assertThat(done.outputIds()).containsExactly(ints(c.get("greedy_new_ids")));
            assertThat(done.text()).isEqualTo(fromSafetensors.text()).isNotBlank();
            assertThat(assistant.modelInfo().name()).isEqualTo("stories260K-f32");
            assertThat(assistant.modelInfo().architecture()).isEqualTo("LlamaForCausalLM");
        }
    }

    private record Run(int[] tokens, float[] firstLogits) {
    }

    private static Run greedy(CausalLanguageModel model, int[] prompt, int steps) {
        int[] out = new int[steps];
        float[] first;
        try (Sequence s = model.newSequence(prompt.length + steps)) {
            float[] logits = s.forward(prompt);
            first = logits.clone();
            for (int i = 0; i < steps; i++) {
                out[i] = argmax(logits);
                if (i + 1 < steps) {
                    logits = s.forward(new int[]{out[i]});
                }
            }
        }
        return new Run(out, first);
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int j = 1; j < v.length; j++) {
            if (v[j] > v[best]) {
                best = j;
            }
        }
        return best;
    }

    private static float maxDiff(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
