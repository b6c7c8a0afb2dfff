package dev.assistant.engine.cpu;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.quantize.BlockModelQuantizer;
import dev.assistant.core.quantize.ModelQuantizer;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.SafetensorsFile;
import dev.assistant.core.safetensors.SafetensorsWriter;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.core.testing.SharedModels;
import dev.assistant.quant.BlockFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code assistant quantize --dtype q4}: a directory that loads as stored and computes what dtype q4 at load does. */
class Q4QuantizeTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378, 324};

    private static float[] logits(CausalLanguageModel model) {
        try (Sequence s = model.newSequence(PROMPT.length)) {
            return s.forward(PROMPT);
        }
    }

    @Test
    void aQuantizedDirectoryLoadsAsStoredWithTheLogitsOfQuantizingAtLoad(@TempDir Path tmp) throws IOException {
        Path stories = SharedModels.model("stories260K");
        for (String head : new String[]{"q4_0", "q8_0"}) {
            Path out = tmp.resolve(head);
            new BlockModelQuantizer(BlockFormat.valueOf(head.toUpperCase(java.util.Locale.ROOT)))
                    .quantize(stories, out, ModelQuantizer.Progress.NONE);
            try (SafetensorsFile file = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                TensorInfo q = file.tensors().get("model.layers.0.self_attn.q_proj.weight");
                assertThat(q.dtype()).isEqualTo(DType.U8);
                assertThat(q.shape()).containsExactly(64, 2 * 18); // two Q4_0 blocks per row of 64
                assertThat(file.tensors().get("model.layers.0.mlp.down_proj.weight").dtype()).isEqualTo(DType.F32);
            }
            try (CausalLanguageModel stored = Q4AccuracyTest.load(out, WeightType.F32, Map.of());
                 CausalLanguageModel atLoad = Q4AccuracyTest.load(stories, WeightType.Q4,
                         Map.of(NativeEngineProvider.HEAD_OPTION, head))) {
                assertThat(stored.computeType()).isEqualTo("q4");
                assertThat(stored.weightBytes()).isEqualTo(atLoad.weightBytes());
                assertThat(logits(stored)).containsExactly(logits(atLoad));
            }
        }
    }

    @Test
    void aBlockTensorOfTheWrongShapeOrAnUnknownSchemeIsRefusedByName(@TempDir Path tmp) throws IOException {
        Path stories = SharedModels.model("stories260K");
        Path good = tmp.resolve("good");
        new BlockModelQuantizer(BlockFormat.Q4_0).quantize(stories, good, ModelQuantizer.Progress.NONE);
        // q_proj's blocks cut short by one block per row
        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        for (String name : new String[]{"config.json", "tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(good.resolve(name), bad.resolve(name));
        }
        try (SafetensorsFile file = SafetensorsFile.open(good.resolve("model.safetensors"))) {
            SafetensorsWriter writer = new SafetensorsWriter();
            for (TensorInfo t : file.tensors().values()) {
                if (t.name().equals("model.layers.0.self_attn.q_proj.weight")) {
                    writer.addRaw(t.name(), DType.U8, new long[]{64, 18}, ByteBuffer.allocate(64 * 18));
                } else {
                    writer.addRaw(t.name(), t.dtype(), t.shape(), file.map(t));
                }
            }
            writer.write(bad.resolve("model.safetensors"));
        }
        assertThatThrownBy(() -> Q4AccuracyTest.load(bad, WeightType.F32, Map.of()).close())
                .isInstanceOf(AssistantException.class)
                .satisfies(e -> assertThat(((AssistantException) e).code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("model.layers.0.self_attn.q_proj.weight");

        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(good.resolve("config.json").toFile());
        ((ObjectNode) config.get("quantization_config")).put("scheme", "ggml-q3_k");
        json.writeValue(good.resolve("config.json").toFile(), config);
        assertThatThrownBy(() -> Q4AccuracyTest.load(good, WeightType.F32, Map.of()).close())
                .isInstanceOf(AssistantException.class)
                .satisfies(e -> assertThat(((AssistantException) e).code()).isEqualTo(ErrorCode.MODEL_INVALID))
                .hasMessageContaining("ggml-q3_k");
    }

    @Test
    void quantizingAQuantizedDirectoryOrANonEmptyTargetIsRefused(@TempDir Path tmp) throws IOException {
        Path stories = SharedModels.model("stories260K");
        Path out = tmp.resolve("q4");
        BlockModelQuantizer quantizer = new BlockModelQuantizer(BlockFormat.Q4_0);
        quantizer.quantize(stories, out, ModelQuantizer.Progress.NONE);
        assertThatThrownBy(() -> quantizer.quantize(out, tmp.resolve("again"), ModelQuantizer.Progress.NONE))
                .isInstanceOf(AssistantException.class).hasMessageContaining("already quantized");
        assertThatThrownBy(() -> quantizer.quantize(stories, out, ModelQuantizer.Progress.NONE))
                .isInstanceOf(AssistantException.class)
                .satisfies(e -> assertThat(((AssistantException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST));
    }
}
