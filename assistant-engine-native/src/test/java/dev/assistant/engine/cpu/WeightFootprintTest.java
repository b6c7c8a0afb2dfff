package dev.assistant.engine.cpu;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.gguf.GgmlType;
import dev.assistant.core.gguf.GgufConverter;
import dev.assistant.core.quantize.BlockModelQuantizer;
import dev.assistant.core.quantize.ModelQuantizer;
import dev.assistant.core.registry.WeightFootprint;
import dev.assistant.core.testing.Phi3TestModel;
import dev.assistant.core.testing.Qwen3TestModel;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.quant.BlockFormat;
import dev.assistant.quant.QuantScheme;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link WeightFootprint}, which {@code doctor} and {@code serve}'s multi-model memory check read from the headers
 * alone, against the bytes of weights the native engine holds once it has loaded the model (its load log's figure:
 * native copies plus the direct buffers and Java tables it keeps): tied and untied heads, f32, INT8 and q4 at load,
 * directories written by {@code assistant quantize} (INT8 and q4), and GGUF files whose Q8_0 / Q4_0 matrices stay
 * quantized. A float32 count of those (the estimate before) is several times off.
 */
class WeightFootprintTest {
    /** Measured exact on every case here; 1% leaves room for padding a future layout may add. */
    private static final double MARGIN = 0.01;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"stories, f32", "stories, int8", "stories, q4", "phi3, f32", "phi3, int8", "phi3, q4",
            "qwen3, q4", "qwen3, int8", "stories-int8-dir, f32", "phi3-int8-dir, f32", "phi3-q4-dir, f32",
            "stories-q8_0-gguf, f32", "phi3-q8_0-gguf, f32", "stories-q8_0-gguf, q4"})
    void theEstimateIsWhatTheNativeEngineHolds(String model, String dtype) throws Exception {
        Path path = switch (model) {
            case "stories" -> SharedModels.model("stories260K");
            case "phi3" -> Phi3TestModel.write(tmp.resolve("phi3"), 3, null);
            case "qwen3" -> Qwen3TestModel.write(tmp.resolve("qwen3"), 3, 0, true, 64);
            case "stories-int8-dir" -> quantized(SharedModels.model("stories260K"), "int8");
            case "phi3-int8-dir" -> quantized(Phi3TestModel.write(tmp.resolve("phi3"), 3, null), "int8");
            case "phi3-q4-dir" -> quantized(Phi3TestModel.write(tmp.resolve("phi3"), 3, null), "q4");
            case "stories-q8_0-gguf" -> GgufConverter.convert(SharedModels.model("stories260K"),
                    tmp.resolve("stories.gguf"), GgmlType.Q8_0);
            case "phi3-q8_0-gguf" -> GgufConverter.convert(Phi3TestModel.write(tmp.resolve("phi3"), 3, null),
                    tmp.resolve("phi3.gguf"), GgmlType.Q8_0);
            default -> throw new IllegalArgumentException(model);
        };
        WeightType type = WeightType.parse(dtype);
        long estimate = WeightFootprint.estimate(path, type);
        long held;
        try (CausalLanguageModel loaded = Q4AccuracyTest.load(path, type, Map.of())) {
            held = loaded.weightBytes();
        }
        double off = Math.abs(estimate - held) / (double) held;
        System.out.printf("weight footprint %s %s: estimate %d, native engine holds %d (%.2f%% off)%n", model, dtype,
                estimate, held, 100 * off);
        assertThat(off).as("estimate %d vs held %d", estimate, held).isLessThan(MARGIN);
    }

    private Path quantized(Path source, String dtype) throws Exception {
        Path out = tmp.resolve(source.getFileName() + "-" + dtype);
        if (dtype.equals("int8")) {
            new ModelQuantizer(QuantScheme.perChannel(), true).quantize(source, out, ModelQuantizer.Progress.NONE);
        } else {
            new BlockModelQuantizer(BlockFormat.Q4_0).quantize(source, out, ModelQuantizer.Progress.NONE);
        }
        return out;
    }
}
