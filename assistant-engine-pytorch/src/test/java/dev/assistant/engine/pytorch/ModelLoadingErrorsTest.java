package dev.assistant.engine.pytorch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ChecksumManifest;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.safetensors.DType;
import dev.assistant.core.safetensors.FloatConversion;
import dev.assistant.core.safetensors.SafetensorsFile;
import dev.assistant.core.safetensors.SafetensorsWriter;
import dev.assistant.core.safetensors.TensorInfo;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad model files give typed errors that name the file and tensor, never a crash. */
class ModelLoadingErrorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LoadOptions CPU = LoadOptions.builder().device("cpu").build();

    @TempDir
    Path temp;
    Path model;

    @BeforeEach
    void copyStories() throws IOException {
        Path source = SharedModels.model("stories260K");
        model = temp.resolve("stories");
        Files.createDirectories(model);
        for (String f : new String[]{"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json"}) {
            Files.copy(source.resolve(f), model.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static AssistantException loadFails(Path dir) {
        try {
            CausalLanguageModel m = TestLoading.load(ModelDirectory.read(dir, true), CPU);
            m.close();
        } catch (AssistantException e) {
            return e;
        }
        throw new AssertionError("loading " + dir + " should have failed");
    }

    @Test
    void truncatedWeightsAreCorrupted() throws IOException {
        Path weights = model.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        AssistantException e = loadFails(model);
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
        assertThat(e.getMessage()).contains("model.safetensors").contains("truncated");
    }

    @Test
    void fileCutInsideTheHeaderIsCorrupted() throws IOException {
        Path weights = model.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(100);
        }
        assertThat(loadFails(model).code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
    }

    @Test
    void headerLyingAboutATensorsOffsetsNamesTheTensor() throws IOException {
        rewriteHeader(header -> header.replaceFirst("\"data_offsets\":\\[(\\d+),(\\d+)\\]", "\"data_offsets\":[$1,99999999]"));
        AssistantException e = loadFails(model);
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
        assertThat(e.getMessage()).contains("model.safetensors").containsPattern("tensor '[^']+'");
    }

    @Test
    void headerLengthBeyondTheFileIsCorrupted() throws IOException {
        Path weights = model.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.seek(0);
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE - 3).array());
        }
        assertThat(loadFails(model).code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
    }

    @Test
    void randomBytesAreCorrupted() throws IOException {
        byte[] junk = new byte[4096];
        new java.util.Random(7).nextBytes(junk);
        Files.write(model.resolve("model.safetensors"), junk);
        assertThat(loadFails(model).code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
    }

    @Test
    void shapesThatDisagreeWithConfigAreInvalidAndNameTheTensor() throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(model.resolve("config.json").toFile());
        config.put("intermediate_size", 171);
        JSON.writeValue(model.resolve("config.json").toFile(), config);
        AssistantException e = loadFails(model);
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
        assertThat(e.getMessage()).contains("mlp.gate_proj.weight").contains("[172, 64]").contains("[171, 64]");
    }

    @Test
    void missingTensorIsInvalidAndNamed() throws IOException {
        rewriteWeights(t -> !t.name().equals("model.layers.3.mlp.up_proj.weight"), DType.F32);
        AssistantException e = loadFails(model);
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
        assertThat(e.getMessage()).contains("model.layers.3.mlp.up_proj.weight");
    }

    /** INT8 layers are quantized on a helper thread ahead of packing: its failure must reach the caller as is. */
    @Test
    void missingTensorOfALaterLayerQuantizedAheadIsInvalidAndNamed() throws IOException {
        rewriteWeights(t -> !t.name().equals("model.layers.3.mlp.up_proj.weight"), DType.F32);
        LoadOptions int8 = LoadOptions.builder().device("cpu").weightType(dev.assistant.core.engine.WeightType.INT8)
                .build();
        assertThatThrownBy(() -> TestLoading.load(ModelDirectory.read(model, true), int8).close())
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    assertThat(e.getMessage()).contains("model.layers.3.mlp.up_proj.weight");
                });
    }

    @Test
    void unknownArchitectureNamesItAndTheSupportedOnes() throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(model.resolve("config.json").toFile());
        config.putArray("architectures").add("MambaForCausalLM");
        JSON.writeValue(model.resolve("config.json").toFile(), config);
        AssistantException e = loadFails(model);
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
        assertThat(e.getMessage()).contains("MambaForCausalLM").contains("LlamaForCausalLM").contains("GPT2LMHeadModel");
    }

    @Test
    void malformedConfigJsonIsCorrupted() throws IOException {
        Files.writeString(model.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\",");
        AssistantException e = loadFails(model);
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
        assertThat(e.getMessage()).contains("config.json");
    }

    @Test
    void missingDirectoryIsNotFound() {
        AssistantException e = loadFails(temp.resolve("nope"));
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND);
    }

    @Test
    void checksumMismatchNamesTheFile() throws IOException {
        String good = ChecksumManifest.digest(model.resolve("config.json"), "SHA-256");
        Files.writeString(model.resolve(ChecksumManifest.SHA256_FILE), good + "  config.json\n"
                + "0".repeat(64) + "  model.safetensors\n");
        AssistantException e = loadFails(model);
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
        assertThat(e.getMessage()).contains("model.safetensors").contains("checksum mismatch");
    }

    @Test
    void correctMd5ManifestLoads() throws IOException {
        String md5 = ChecksumManifest.digest(model.resolve("model.safetensors"), "MD5");
        Files.writeString(model.resolve(ChecksumManifest.MD5_FILE), md5 + "  model.safetensors\n");
        TestLoading.load(ModelDirectory.read(model, true), CPU).close();
    }

    @Test
    void bf16AndF16WeightsLoadWithoutCrashingAndKeepTheAnswer() throws IOException {
        int[] prompt = {1, 403, 407, 261, 378};
        int expected;
        try (CausalLanguageModel f32 = TestLoading.load(ModelDirectory.read(model, true), CPU);
             Sequence s = f32.newSequence(8)) {
            expected = FloatVectors.argmax(s.forward(prompt));
        }
        for (DType half : new DType[]{DType.BF16, DType.F16}) {
            rewriteWeights(t -> true, half);
            try (CausalLanguageModel m = TestLoading.load(ModelDirectory.read(model, true), CPU);
                 Sequence s = m.newSequence(8)) {
                assertThat(FloatVectors.argmax(s.forward(prompt))).as(half.name()).isEqualTo(expected);
            }
            copyStories(); // restore F32 for the next dtype
        }
    }

    @Test
    void outOfVocabularyTokenIsRejectedBeforeReachingNativeCode() {
        try (CausalLanguageModel m = TestLoading.load(ModelDirectory.read(model, true), CPU);
             Sequence s = m.newSequence(4)) {
            assertThatThrownBy(() -> s.forward(new int[]{1, 512})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("512");
            assertThatThrownBy(() -> s.forward(new int[]{-1})).isInstanceOf(IllegalArgumentException.class);
            assertThat(s.forward(new int[]{1})).hasSize(512); // still usable
        }
    }

    @Test
    void sequenceLongerThanTheContextIsAContextOverflow() {
        try (CausalLanguageModel m = TestLoading.load(ModelDirectory.read(model, true), CPU)) {
            assertThatThrownBy(() -> m.newSequence(513)).isInstanceOf(AssistantException.class)
                    .extracting(e -> ((AssistantException) e).code()).isEqualTo(ErrorCode.CONTEXT_OVERFLOW);
        }
    }

    /** Rewrites model.safetensors keeping tensors that pass {@code keep}, converted to {@code dtype}. */
    private void rewriteWeights(Predicate<TensorInfo> keep, DType dtype) throws IOException {
        Path weights = model.resolve("model.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsFile file = SafetensorsFile.open(weights)) {
            for (TensorInfo t : file.tensors().values()) {
                if (!keep.test(t)) {
                    continue;
                }
                float[] values = new float[(int) t.elementCount()];
                file.map(t).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
                ByteBuffer out = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : values) {
                    switch (dtype) {
                        case F32 -> out.putFloat(v);
                        case BF16 -> out.putShort(FloatConversion.floatToBf16(v));
                        case F16 -> out.putShort(floatToHalf(v));
                        default -> throw new IllegalArgumentException();
                    }
                }
                writer.addRaw(t.name(), dtype, t.shape(), out.flip());
            }
        }
        writer.write(temp.resolve("rewritten.safetensors"));
        Files.move(temp.resolve("rewritten.safetensors"), weights, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Round-to-nearest float to binary16 for normal-range values (enough for test weights). */
    private static short floatToHalf(float v) {
        int bits = Float.floatToIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xFF) - 127 + 15;
        int mant = bits & 0x7FFFFF;
        if (exp <= 0) {
            return (short) sign; // flush tiny values to zero
        }
        if (exp >= 31) {
            return (short) (sign | 0x7C00);
        }
        int half = sign | (exp << 10) | (mant >>> 13);
        if ((mant & 0x1FFF) > 0x1000 || ((mant & 0x1FFF) == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) half;
    }

    private void rewriteHeader(java.util.function.UnaryOperator<String> edit) throws IOException {
        Path weights = model.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(weights);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        byte[] edited = edit.apply(header).getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + edited.length + all.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(edited.length).put(edited).put(all, 8 + (int) n, all.length - 8 - (int) n);
        Files.write(weights, out.array());
    }
}
