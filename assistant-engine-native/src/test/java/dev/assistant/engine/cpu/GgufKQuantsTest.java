package dev.assistant.engine.cpu;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.gguf.GgmlType;
import dev.assistant.core.gguf.GgufConverter;
import dev.assistant.core.testing.Qwen2TestModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GGUF Q4_1, Q4_K, Q5_0, Q5_1, Q5_K and Q6_K files on the native engine: Q4_1 and Q4_K computed as stored, the
 * 5- and 6-bit types converted to Q8_0 at load. A random-weight Qwen2 model with 256-wide layers (k-quant rows are whole super-blocks of
 * 256) is written in each type by the test converter, and again as F32 holding exactly the values those blocks decode
 * to (its "twin"): the two files have the same weights, so the logits differ only by what the block path adds, the
 * activations quantized to 8 bits per group of 32 (and for Q5_K/Q6_K the weights re-rounded to Q8_0).
 * The C tests (block_offset_test.c) check the products themselves against a dequantize-then-dot reference.
 */
class GgufKQuantsTest {
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 8;

    @TempDir
    static Path tmp;
    static Path hf;

    @BeforeAll
    static void model() throws IOException {
        hf = Qwen2TestModel.write(tmp.resolve("hf"), 11, 256, 512);
    }

    /** Ollama's default Q4_K_M in miniature: attention v, MLP down and the head in Q6_K, the rest Q4_K. */
    static GgmlType q4kM(String name) {
        return name.endsWith("attn_v.weight") || name.endsWith("ffn_down.weight") || name.equals("output.weight")
                ? GgmlType.Q6_K : GgmlType.Q4_K;
    }

    private static Function<String, GgmlType> typeFor(String type) {
        return type.equals("Q4_K_M") ? GgufKQuantsTest::q4kM : name -> GgmlType.valueOf(type);
    }

    /**
     * Runs both models along our greedy tokens from PROMPT; returns {largest relative RMS difference of a step's
     * logits, largest |difference|, steps where the twin picks the same token}. A step where the twin picks another
     * token must be a near tie: our top two within twice the step's largest difference.
     */
    private static double[] compare(CausalLanguageModel blocks, CausalLanguageModel twin) {
        double worstRms = 0;
        double worst = 0;
        int same = 0;
        try (Sequence a = blocks.newSequence(PROMPT.length + STEPS + 1);
             Sequence b = twin.newSequence(PROMPT.length + STEPS + 1)) {
            float[] la = a.forward(PROMPT);
            float[] lb = b.forward(PROMPT);
            for (int step = 0; step < STEPS; step++) {
                double diff = 0;
                double norm = 0;
                double stepWorst = 0;
                for (int i = 0; i < la.length; i++) {
                    diff += (la[i] - lb[i]) * (la[i] - lb[i]);
                    norm += (double) lb[i] * lb[i];
                    stepWorst = Math.max(stepWorst, Math.abs(la[i] - lb[i]));
                }
                worstRms = Math.max(worstRms, Math.sqrt(diff / norm));
                worst = Math.max(worst, stepWorst);
                int next = NativeLlamaLayersTest.argmax(la);
                int theirs = NativeLlamaLayersTest.argmax(lb);
                if (next == theirs) {
                    same++;
                } else {
                    assertThat((double) (la[next] - la[theirs])).as("step %d: not a near tie", step)
                            .isLessThan(2 * stepWorst);
                }
                la = a.forward(new int[]{next});
                lb = b.forward(new int[]{next});
            }
        }
        return new double[]{worstRms, worst, same};
    }

    /**
     * The relative RMS difference of the logits stays under 0.2. Measured (printed): 0.04 to 0.05 for Q4_K, Q4_1 and
     * the Q4_K_M mix, 0.07 to 0.11 for Q5_K/Q6_K (their values re-rounded to Q8_0), and 0.08 for the Q8_0 file, whose
     * products are bit-identical to dtype q8 elsewhere: on this random model the 8-bit activations alone account for
     * that level. Sub-block scales swapped in pairs give 1.35. The greedy tokens agree except at near ties, and on
     * most steps.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"Q8_0, 0.27", "Q4_K, 0.15", "Q6_K, 0.27", "Q4_K_M, 0.21", "Q4_1, 0.16", "Q5_K, 0.27", "Q5_0, 0.27",
            "Q5_1, 0.27"})
    void aKQuantFileRunsOnTheBlockKernelsCloseToItsFloat32Twin(String type, double share) throws IOException {
        Path file = GgufConverter.convert(hf, tmp.resolve(type + ".gguf"), typeFor(type));
        Path twin = GgufConverter.convert(hf, tmp.resolve(type + "-twin.gguf"), typeFor(type), true);
        try (CausalLanguageModel blocks = Q4AccuracyTest.load(file, WeightType.F32, Map.of());
             CausalLanguageModel f32 = Q4AccuracyTest.load(twin, WeightType.F32, Map.of())) {
            assertThat(blocks.computeType()).isEqualTo("blocks");
            assertThat(f32.computeType()).isEqualTo("f32");
            // measured shares of the twin's bytes: Q4_K 0.146 (4.6 bits per weight: as stored, no float32 copy),
            // Q4_1 0.158, Q8_0 and Q5_K/Q6_K read as Q8_0 0.267, the Q4_K_M mix 0.201
            assertThat((double) blocks.weightBytes()).isLessThan(f32.weightBytes() * share);
            if (!type.equals("Q4_K_M")) { // (the mix's q|k|v is held as Q8_0, which the estimate does not foresee)
                assertThat(dev.assistant.core.registry.WeightFootprint.estimate(file, WeightType.F32))
                        .as("doctor's estimate").isEqualTo(blocks.weightBytes());
            }
            double[] r = compare(blocks, f32);
            System.out.printf("[gguf %s] relative RMS logit difference to the float32 twin %.4f (max |diff| %.3f),"
                    + " greedy token equal on %d of %d steps%n", type, r[0], r[1], (int) r[2], STEPS);
            assertThat(r[0]).isLessThan(0.2);
            assertThat((int) r[2]).isGreaterThanOrEqualTo(STEPS - 3);
        }
    }
}
