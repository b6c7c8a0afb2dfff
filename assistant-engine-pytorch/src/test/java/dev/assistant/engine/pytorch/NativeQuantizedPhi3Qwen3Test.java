package dev.assistant.engine.pytorch;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.quantize.BlockModelQuantizer;
import dev.assistant.core.quantize.ModelQuantizer;
import dev.assistant.core.testing.Phi3TestModel;
import dev.assistant.core.testing.Qwen3TestModel;
import dev.assistant.core.model.TensorReader;
import dev.assistant.core.model.WeightStore;
import dev.assistant.core.safetensors.SafetensorsWriter;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.BlockMatrix;
import dev.assistant.quant.QuantScheme;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static dev.assistant.engine.pytorch.FloatVectors.argmax;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Phi-3 (fused q|k|v and gate|up quantized as single layers) and Qwen3 (per-head q/k norms) with INT8 and q4 weights
 * on the native engine: each step's logits within quantization error of the native f32 run, fed the f32 run's
 * greedy tokens (teacher forcing, so every step compares the same context), with the top-1 agreement reported; INT8
 * also against the pytorch engine's INT8; and a directory written by {@code assistant quantize} (INT8 or q4) loading
 * natively with exactly the logits of quantizing at load.
 */
class NativeQuantizedPhi3Qwen3Test {
    private static final int[] PROMPT = {5, 77, 300, 12, 190, 41, 9};
    private static final int STEPS = 12;
    /** Relative logit difference of q4 from f32 over the same (dequantized) weights: about twice what was measured. */
    private static final double Q4_ACTIVATION_ERROR = 0.05;

    @TempDir
    Path tmp;

    /**
     * Bounds on {@code ||quantized - f32|| / ||f32||} per step and on top-1 agreement, about twice / below what was
     * measured (INT8 with the default 8-bit activations 0.032 and 0.031, 12 and 11 of 12, where 16-bit activations
     * gave 0.020 and 0.026, 12 of 12; q4 0.33 and 0.35, 9 and 7 of 12: rows of 64 to 96 uniform random inputs take 4
     * bits badly, a real model's rows are thousands wide and bell-shaped).
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"phi3, int8, 0.05, 12", "phi3, q4, 0.6, 8", "qwen3, int8, 0.05, 11", "qwen3, q4, 0.6, 6"})
    void quantizedWeightsStayWithinQuantizationErrorOfF32(String family, String dtype, double maxRelative,
                                                          int minAgreement) throws Exception {
        Path hf = family.equals("phi3") ? Phi3TestModel.write(tmp.resolve("hf"), 61, null)
                : Qwen3TestModel.write(tmp.resolve("hf"), 61, 0, true, 64);
        ModelDirectory dir = ModelDirectory.read(hf, false);
        LoadOptions f32 = LoadOptions.builder().device("cpu").backend("native").build();
        WeightType type = dtype.equals("int8") ? WeightType.INT8 : WeightType.Q4;
        LoadOptions quantized = f32.toBuilder().weightType(type).build();

        int[] tokens = new int[STEPS];
        float[][] reference = run(dir, f32, tokens, true);
        float[][] ours = run(dir, quantized, tokens, false);
        double worst = 0;
        int agree = 0;
        for (int step = 0; step < STEPS; step++) {
            worst = Math.max(worst, relative(ours[step], reference[step]));
            agree += argmax(ours[step]) == argmax(reference[step]) ? 1 : 0;
        }
        System.out.printf("%s %s native vs f32: top-1 agreement %d/%d, max relative logit error %.4f%n", family,
                dtype, agree, STEPS, worst);
        assertThat(worst).as("max relative logit error").isGreaterThan(0).isLessThan(maxRelative);
        assertThat(agree).as("top-1 agreement of %d steps", STEPS).isGreaterThanOrEqualTo(minAgreement);

        if (type == WeightType.INT8) {
            float[][] torch = run(dir, quantized.toBuilder().backend(PyTorchEngineProvider.NAME).build(), tokens, false);
            double gap = 0;
            int same = 0;
            for (int step = 0; step < STEPS; step++) {
                gap = Math.max(gap, relative(ours[step], torch[step]));
                same += argmax(ours[step]) == argmax(torch[step]) ? 1 : 0;
            }
            System.out.printf("%s int8 native vs pytorch int8: top-1 agreement %d/%d, max relative difference %.4f%n",
                    family, same, STEPS, gap);
            // the same INT8 weights (each engine rounds activations its own way): as close as either is to f32
            assertThat(gap).isLessThan(maxRelative);
        } else {
            // q4 computes what its 4-bit weights say: f32 over the dequantized Q4_0 weights differs only by the
            // 8-bit rounding of the block products' activations
            Path twin = dequantizedTwin(hf, tmp.resolve("dequantized"));
            float[][] expected = run(ModelDirectory.read(twin, false), f32, tokens, false);
            double gap = 0;
            int same = 0;
            for (int step = 0; step < STEPS; step++) {
                gap = Math.max(gap, relative(ours[step], expected[step]));
                same += argmax(ours[step]) == argmax(expected[step]) ? 1 : 0;
            }
            System.out.printf("%s q4 native vs f32 over the dequantized Q4_0 weights: top-1 agreement %d/%d, max "
                    + "relative difference %.4f%n", family, same, STEPS, gap);
            assertThat(gap).isLessThan(Q4_ACTIVATION_ERROR);
        }

        // assistant quantize's directory loads natively, as stored, with the logits of quantizing at load
        Path out = tmp.resolve("quantized");
        if (type == WeightType.INT8) {
            new ModelQuantizer(QuantScheme.perChannel(), true).quantize(hf, out, ModelQuantizer.Progress.NONE);
        } else {
            new BlockModelQuantizer(BlockFormat.Q4_0).quantize(hf, out, ModelQuantizer.Progress.NONE);
        }
        ModelDirectory stored = ModelDirectory.read(out, false);
        LoadOptions plain = LoadOptions.builder().device("cpu").build();
        assertThat(EngineProviders.discover().select(stored.config(), plain).chosen())
                .hasValueSatisfying(p -> assertThat(p.name()).isEqualTo("native"));
        float[][] reloaded = run(stored, plain, tokens, false);
        for (int step = 0; step < STEPS; step++) {
            assertThat(reloaded[step]).as("step %d of the quantized directory", step).containsExactly(ours[step]);
        }
    }

    /**
     * A copy of {@code hf} whose matrices dtype q4 quantizes (the layers' linear weights, the table and the head:
     * rows of whole 32-groups) hold their Q4_0 values dequantized, in float32.
     */
    private static Path dequantizedTwin(Path hf, Path out) throws java.io.IOException {
        java.nio.file.Files.createDirectories(out);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(hf)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().endsWith(".safetensors")) {
                    java.nio.file.Files.copy(f, out.resolve(f.getFileName()));
                }
            }
        }
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        try (WeightStore store = WeightStore.open(hf)) {
            TensorReader reader = new TensorReader(store);
            for (TensorInfo t : new java.util.TreeMap<>(store.tensors()).values()) {
                float[] values = reader.withFloats(t, buffer -> {
                    float[] all = new float[(int) t.elementCount()];
                    buffer.get(all);
                    return all;
                });
                if (t.rank() == 2 && t.dim(1) % 32 == 0 && !t.name().contains("norm")) {
                    values = BlockMatrix.quantize(BlockFormat.Q4_0, values, (int) t.dim(0), (int) t.dim(1))
                            .dequantize();
                }
                w.addF32(t.name(), t.shape(), values);
            }
        }
        w.write(out.resolve("model.safetensors"));
        return out;
    }

    /** Each step's logits; the greedy tokens are written to {@code tokens} when {@code greedy}, else fed from it. */
    private static float[][] run(ModelDirectory dir, LoadOptions options, int[] tokens, boolean greedy) {
        float[][] out = new float[STEPS][];
        try (CausalLanguageModel model = EngineProviders.discover().load(dir, options);
             Sequence seq = model.newSequence(PROMPT.length + STEPS)) {
            float[] logits = seq.forward(PROMPT);
            for (int step = 0; step < STEPS; step++) {
                out[step] = logits;
                if (greedy) {
                    tokens[step] = argmax(logits);
                }
                if (step + 1 < STEPS) {
                    logits = seq.forward(new int[]{tokens[step]});
                }
            }
        }
        return out;
    }

    /** {@code ||a - b|| / ||b||}. */
    private static double relative(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
            norm += b[i] * (double) b[i];
        }
        return Math.sqrt(diff / norm);
    }
}
