package dev.assistant.engine.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GGUF Q4_0 and Q8_0 tensors computed natively as stored. The files are written by the shared converter
 * ({@code bench/llamacpp/hf2gguf.py}, NumPy, ggml's reference Q4_0 rounding: the files llama.cpp runs in the
 * benchmarks), independently of this SDK's Java quantizer: a Q4_0 file giving bit-identical logits to dtype q4 on the
 * same float weights shows both the layout (nibble order, scales, q/k row order) and the rounding agree.
 */
class GgufBlocksTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path stories;
    static Path q4File;
    static Path q8File;

    @BeforeAll
    static void convert() throws IOException, InterruptedException {
        stories = SharedModels.model("stories260K");
        Path converter = SharedModels.root().resolve("bench/llamacpp/hf2gguf.py");
        q4File = tmp.resolve("stories260K-q4_0.gguf");
        q8File = tmp.resolve("stories260K-q8_0.gguf");
        run(converter, stories, q4File, "Q4_0");
        run(converter, stories, q8File, "Q8_0");
    }

    private static void run(Path converter, Path model, Path out, String type) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", converter.toString(), model.toString(), out.toString(), type)
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("hf2gguf.py: %s", output).isZero();
        assertThat(Files.size(out)).isPositive();
    }

    private static int[][] prompts() throws IOException {
        JsonNode golden = JSON.readTree(stories.resolve("reference/golden.json").toFile());
        int[][] out = new int[golden.get("cases").size()][];
        int i = 0;
        for (JsonNode c : golden.get("cases")) {
            JsonNode ids = c.get("input_ids");
            out[i] = new int[ids.size()];
            for (int j = 0; j < ids.size(); j++) {
                out[i][j] = ids.get(j).asInt();
            }
            i++;
        }
        return out;
    }

    private static float[] logits(CausalLanguageModel model, int[] prompt) {
        try (Sequence s = model.newSequence(prompt.length)) {
            return s.forward(prompt);
        }
    }

    @Test
    void aQ4_0FileGivesExactlyTheLogitsOfDtypeQ4OnTheSameFloatWeights() throws IOException {
        try (CausalLanguageModel gguf = Q4AccuracyTest.load(q4File, WeightType.F32, Map.of());
             CausalLanguageModel ours = Q4AccuracyTest.load(stories, WeightType.Q4, Map.of())) {
            // taken as stored: block matrices (no float32 copy), the same bytes as our own quantization
            assertThat(gguf.computeType()).isEqualTo("blocks");
            assertThat(gguf.weightBytes()).isEqualTo(ours.weightBytes());
            for (int[] prompt : prompts()) {
                assertThat(logits(gguf, prompt)).containsExactly(logits(ours, prompt));
            }
        }
    }

    @Test
    void aQ4_0FileLoadedWithDtypeQ4IsNotQuantizedAgain() throws IOException {
        try (CausalLanguageModel asStored = Q4AccuracyTest.load(q4File, WeightType.F32, Map.of());
             CausalLanguageModel asked = Q4AccuracyTest.load(q4File, WeightType.Q4,
                     Map.of(NativeEngineProvider.HEAD_OPTION, "q8_0"))) {
            assertThat(asked.computeType()).isEqualTo("q4");
            // the table is stored Q4_0: asking for a Q8_0 head changes nothing, nothing is re-quantized
            assertThat(asked.weightBytes()).isEqualTo(asStored.weightBytes());
            int[] prompt = prompts()[0];
            assertThat(logits(asked, prompt)).containsExactly(logits(asStored, prompt));
        }
    }

    @Test
    void aQ8_0FileComputesNativelyInAQuarterOfTheBytesCloseToFloat32() throws IOException {
        try (CausalLanguageModel q8 = Q4AccuracyTest.load(q8File, WeightType.F32, Map.of());
             CausalLanguageModel f32 = Q4AccuracyTest.load(stories, WeightType.F32, Map.of())) {
            assertThat(q8.computeType()).isEqualTo("blocks");
            // down (172 inputs) stays F32 in the file; everything else is 8.5 bits per weight
            assertThat(q8.weightBytes()).isLessThan(f32.weightBytes() * 45 / 100);
            int same = 0;
            int[][] prompts = prompts();
            for (int[] prompt : prompts) {
                float[] a = logits(f32, prompt);
                float[] b = logits(q8, prompt);
                double worst = 0;
                for (int i = 0; i < a.length; i++) {
                    worst = Math.max(worst, Math.abs(a[i] - b[i]));
                }
                assertThat(worst).isLessThan(0.5); // a wrong layout gives errors of whole units
                int best = NativeLlamaLayersTest.argmax(a);
                int chosen = NativeLlamaLayersTest.argmax(b);
                if (best == chosen) {
                    same++;
                } else {
                    // only a near tie may flip: the token Q8_0 prefers is within its error of FP32's best
                    System.out.printf("[q8_0 gguf] near tie %d (%.4f) vs %d (%.4f), error up to %.4f%n", best, a[best],
                            chosen, a[chosen], worst);
                    assertThat((double) (a[best] - a[chosen])).isLessThan(2 * worst);
                }
            }
            // measured: 6 of 8 (weights, table and head at 8 bits, activations at 8 bits per group of 32)
            System.out.printf("[q8_0 gguf] first token equal on %d of %d prompts%n", same, prompts.length);
            assertThat(same).isGreaterThanOrEqualTo(prompts.length - 2);
        }
    }
}
