package dev.assistant.core.quantize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.demo.ModelShape;
import dev.assistant.core.demo.RandomModelWriter;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.SafetensorsFile;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.quant.QuantScheme;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An offline-quantized directory reloads without re-quantizing and computes exactly what quantize-at-load does. */
class ModelQuantizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private static float[] logits(Path dir, LoadOptions options, int[] prompt) {
        try (CausalLanguageModel m = EngineProviders.discover().load(ModelDirectory.read(dir, true), options);
             Sequence s = m.newSequence(prompt.length)) {
            return s.forward(prompt);
        }
    }

    private Path source(String which) throws IOException {
        if (which.equals("untied-generated")) {
            Path dir = temp.resolve("src");
            RandomModelWriter.write(dir, new ModelShape("t", 128, 2, 4, 2, 256, 1024, 128, false), 3);
            return dir;
        }
        return SharedModels.model(which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "tinystories-gpt2-mini", "untied-generated"})
    void savedThenReloadedGivesBitIdenticalLogits(String which) throws IOException {
        Path source = source(which);
        Path out = temp.resolve("q");
        List<String> progress = new ArrayList<>();
        new ModelQuantizer(QuantScheme.perGroup(32), true).quantize(source, out,
                (done, total, name) -> progress.add(done + "/" + total));
        assertThat(progress).isNotEmpty().last().satisfies(p -> assertThat(p.split("/")[0]).isEqualTo(p.split("/")[1]));
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertThat(f.metadata()).containsEntry("quantization", "int8-sym-g32-f32scale");
            assertThat(f.tensors().values()).anyMatch(t -> t.dtype() == DType.I8);
        }
        assertThat(out.resolve("tokenizer.json")).exists();
        int[] prompt = {1, 20, 30, 40, 50, 60};
        float[] atLoad = logits(source, LoadOptions.builder().device("cpu").weightType(WeightType.INT8)
                .quantGroupSize(32).build(), prompt);
        float[] reloaded = logits(out, LoadOptions.builder().device("cpu").build(), prompt); // no dtype: the directory says int8
        assertThat(reloaded).containsExactly(atLoad);
    }

    @Test
    void aSchemeThisBuildCannotReadFailsClearly() throws IOException {
        Path out = temp.resolve("q");
        new ModelQuantizer(QuantScheme.perGroup(64), true).quantize(source("stories260K"), out, ModelQuantizer.Progress.NONE);
        ObjectNode config = (ObjectNode) JSON.readTree(out.resolve("config.json").toFile());
        ((ObjectNode) config.get("quantization_config")).put("scheme", "int4-awq-g128");
        JSON.writeValue(out.resolve("config.json").toFile(), config);
        assertThatThrownBy(() -> ModelDirectory.read(out, true)).isInstanceOf(AssistantException.class)
                .hasMessageContaining("int4-awq-g128").extracting(e -> ((AssistantException) e).code())
                .isEqualTo(ErrorCode.MODEL_INVALID);
        ((ObjectNode) config.get("quantization_config")).put("quant_method", "gptq");
        JSON.writeValue(out.resolve("config.json").toFile(), config);
        assertThatThrownBy(() -> ModelDirectory.read(out, true)).isInstanceOf(AssistantException.class)
                .hasMessageContaining("gptq").hasMessageContaining(dev.assistant.core.model.ModelConfig.QUANT_METHOD);
    }

    @Test
    void refusesToOverwriteOrRequantize() throws IOException {
        Path source = source("stories260K");
        Path out = temp.resolve("q");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "precious");
        ModelQuantizer quantizer = new ModelQuantizer(QuantScheme.perChannel(), true);
        assertThatThrownBy(() -> quantizer.quantize(source, out, ModelQuantizer.Progress.NONE))
                .isInstanceOf(AssistantException.class).hasMessageContaining("must be new or empty");
        Path fresh = temp.resolve("q2");
        quantizer.quantize(source, fresh, ModelQuantizer.Progress.NONE);
        assertThatThrownBy(() -> quantizer.quantize(fresh, temp.resolve("q3"), ModelQuantizer.Progress.NONE))
                .isInstanceOf(AssistantException.class).hasMessageContaining("already quantized");
    }
}
