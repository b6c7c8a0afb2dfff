package dev.assistant.engine.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProvider;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A host that runs Llama on the CPU needs no libtorch: this module's test classpath is core plus this engine (no
 * pytorch-engine, pytorch-jni or pytorch-native-* jar), and stories260K runs through the engine SPI to the golden
 * logits and the upstream greedy story.
 */
class WithoutLibtorchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void noLibtorchIsOnThisClasspath() {
        assertThatThrownBy(() -> Class.forName("ai.djl.pytorch.engine.PtEngine"))
                .isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("ai.djl.pytorch.jni.JniUtils"))
                .isInstanceOf(ClassNotFoundException.class);
        assertThat(getClass().getClassLoader().getResource("native/lib/pytorch.properties")).isNull();
        assertThat(EngineProviders.discover().providers()).extracting(EngineProvider::name)
                .containsExactly(NativeEngineProvider.NAME);
    }

    @ParameterizedTest
    @EnumSource(value = WeightType.class, names = {"F32", "INT8"})
    void stories260KRunsThroughTheSpiToTheGoldenAnswers(WeightType type) throws IOException {
        Path dir = SharedModels.model("stories260K");
        JsonNode golden = JSON.readTree(dir.resolve("reference/golden.json").toFile());
        try (CausalLanguageModel model = EngineProviders.discover().load(ModelDirectory.read(dir, true),
                LoadOptions.builder().weightType(type).build())) {
            assertThat(model).isInstanceOf(NativeLlamaModel.class);
            for (JsonNode c : golden.get("cases")) {
                int[] input = ints(c.get("input_ids"));
                int[] expected = ints(c.get("greedy_new_ids"));
                float[] logits;
                int[] got = new int[expected.length];
                try (Sequence s = model.newSequence(input.length + expected.length)) {
                    logits = s.forward(input);
                    JsonNode reference = c.get("last_logits");
                    double max = 0;
                    double dot = 0;
                    double aa = 0;
                    double bb = 0;
                    for (int i = 0; i < logits.length; i++) {
                        double r = reference.get(i).asDouble();
                        max = Math.max(max, Math.abs(logits[i] - r));
                        dot += logits[i] * r;
                        aa += (double) logits[i] * logits[i];
                        bb += r * r;
                    }
                    if (type == WeightType.F32) {
                        assertThat(max).as("case %s", c.get("index")).isLessThan(1e-4);
                    } else {
                        assertThat(dot / Math.sqrt(aa * bb)).as("case %s cosine", c.get("index")).isGreaterThan(0.99);
                    }
                    for (int i = 0; i < got.length; i++) {
                        got[i] = NativeLlamaLayersTest.argmax(logits);
                        if (i + 1 < got.length) {
                            logits = s.forward(new int[]{got[i]});
                        }
                    }
                }
                if (type == WeightType.F32) {
                    assertThat(got).as("case %s", c.get("index")).containsExactly(expected);
                }
            }
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
