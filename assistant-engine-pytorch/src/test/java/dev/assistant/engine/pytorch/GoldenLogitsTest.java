package dev.assistant.engine.pytorch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static dev.assistant.engine.pytorch.FloatVectors.argmax;
import static org.assertj.core.api.Assertions.assertThat;

/** The engine reproduces an independent float32 reference: logits, greedy continuations and perplexity. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GoldenLogitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, CausalLanguageModel> models = new HashMap<>();

    @BeforeAll
    void loadModels() {
        // each model on every engine that runs it: "name" is the engine auto picks, "name@pytorch" this one
        for (String name : new String[]{"stories260K", "tinystories-gpt2-mini"}) {
            Path dir = SharedModels.model(name);
            models.put(name, TestLoading.load(ModelDirectory.read(dir, true), LoadOptions.builder().device("cpu").build()));
        }
        models.put("stories260K@pytorch", TestLoading.pytorch(ModelDirectory.read(SharedModels.model("stories260K"), true),
                LoadOptions.builder().device("cpu").build()));
    }

    @AfterAll
    void close() {
        models.values().forEach(CausalLanguageModel::close);
    }

    private static JsonNode golden(String model) throws IOException {
        return JSON.readTree(SharedModels.model(model.replace("@pytorch", "")).resolve("reference/golden.json")
                .toFile());
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "stories260K@pytorch", "tinystories-gpt2-mini"})
    void lastPositionLogitsMatchTheReferenceWithin1e4(String name) throws IOException {
        CausalLanguageModel model = models.get(name);
        for (JsonNode c : golden(name).get("cases")) {
            int[] input = ints(c.get("input_ids"));
            float[] logits;
            try (Sequence seq = model.newSequence(input.length + 1)) {
                logits = seq.forward(input);
            }
            JsonNode expected = c.get("last_logits");
            assertThat(logits).hasSize(expected.size());
            double maxDiff = 0;
            for (int i = 0; i < logits.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(logits[i] - expected.get(i).asDouble()));
            }
            assertThat(maxDiff).as("max |logit diff| for case %s of %s", c.get("index"), name).isLessThan(1e-4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "stories260K@pytorch", "tinystories-gpt2-mini"})
    void greedyContinuationsMatchTokenForToken(String name) throws IOException {
        CausalLanguageModel model = models.get(name);
        for (JsonNode c : golden(name).get("cases")) {
            int[] input = ints(c.get("input_ids"));
            int[] expected = ints(c.get("greedy_new_ids"));
            assertThat(greedy(model, input, expected.length)).as("case %s of %s", c.get("index"), name)
                    .containsExactly(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "stories260K@pytorch", "tinystories-gpt2-mini"})
    void perplexityOfTheSampleTextIsWithinOneTenthPercent(String name) throws IOException {
        JsonNode ppl = golden(name).get("perplexity");
        int[] ids = ints(ppl.get("input_ids"));
        double nll = 0;
        try (Sequence seq = models.get(name).newSequence(ids.length)) {
            float[][] all = seq.forwardAll(ids);
            for (int i = 0; i + 1 < ids.length; i++) {
                nll -= logSoftmax(all[i], ids[i + 1]);
            }
        }
        double perplexity = Math.exp(nll / (ids.length - 1));
        double expected = ppl.get("perplexity").asDouble();
        assertThat(Math.abs(perplexity - expected) / expected).as("perplexity %s vs %s", perplexity, expected)
                .isLessThan(0.001);
    }

    @Test
    void stories260KGreedyStoryFromBosMatchesUpstream() throws IOException {
        JsonNode upstream = JSON.readTree(SharedModels.model("stories260K")
                .resolve("reference/upstream_greedy_from_bos_200.json").toFile());
        int[] expected = ints(upstream.get("greedy_new_ids"));
        int[] got = greedy(models.get("stories260K"), new int[]{1}, expected.length);
        assertThat(got).containsExactly(expected);
    }

    static double logSoftmax(float[] logits, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return logits[target] - max - Math.log(sum);
    }

    static int[] greedy(CausalLanguageModel model, int[] prompt, int steps) {
        int[] out = new int[steps];
        try (Sequence seq = model.newSequence(prompt.length + steps)) {
            float[] logits = seq.forward(prompt);
            for (int i = 0; i < steps; i++) {
                out[i] = argmax(logits);
                if (i + 1 < steps) {
                    logits = seq.forward(new int[]{out[i]});
                }
            }
        }
        return out;
    }
}
