package dev.assistant.core.gguf;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufFileTest {
    @TempDir
    Path dir;

    private Path write(byte[] bytes) throws IOException {
        Path file = dir.resolve("model.gguf");
        Files.write(file, bytes);
        return file;
    }

    private static GgufBytes valid() {
        return new GgufBytes()
                .string("general.architecture", "llama")
                .uint32("llama.block_count", 5)
                .float32("llama.rope.freq_base", 10000f)
                .bool("tokenizer.ggml.add_bos_token", true)
                .strings("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "▁hé"))
                .floats("tokenizer.ggml.scores", new float[]{0f, -1.5f, 2f})
                .tensor("a", GgmlType.F32.id(), new long[]{4, 2}, GgufBytes.f32(1, 2, 3, 4, 5, 6, 7, 8))
                .tensor("b", GgmlType.F16.id(), new long[]{3}, new byte[]{0, 0x3C, 0, (byte) 0xBC, 0, 0x40});
    }

    @Test
    void readsMetadataOfEachTypeAndTensorsAligned() throws IOException {
        try (GgufFile f = GgufFile.open(write(valid().build()))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.string("general.architecture")).contains("llama");
            assertThat(f.integer("llama.block_count")).contains(5L);
            assertThat(f.number("llama.rope.freq_base")).contains(10000.0);
            assertThat(f.bool("tokenizer.ggml.add_bos_token")).contains(true);
            assertThat(f.array("tokenizer.ggml.tokens", String.class)).contains(List.of("<unk>", "<s>", "▁hé"));
            assertThat(f.array("tokenizer.ggml.scores", Double.class)).contains(List.of(0.0, -1.5, 2.0));
            assertThat(f.dataStart() % 32).isZero();
            GgufTensor a = f.find("a").orElseThrow();
            assertThat(a.shape()).containsExactly(2, 4);
            assertThat(a.byteSize()).isEqualTo(32);
            float[] values = GgufDequant.toFloats(a.type(), f.map(a), 8);
            assertThat(values).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
            GgufTensor b = f.find("b").orElseThrow();
            assertThat(b.offset()).isEqualTo(32);
            assertThat(GgufDequant.toFloats(b.type(), f.map(b), 3)).containsExactly(1f, -1f, 2f);
        }
    }

    @Test
    void honoursGeneralAlignment() throws IOException {
        byte[] bytes = valid().alignment(64).build();
        try (GgufFile f = GgufFile.open(write(bytes))) {
            assertThat(f.alignment()).isEqualTo(64);
            assertThat(f.dataStart() % 64).isZero();
            assertThat(f.find("b").orElseThrow().offset()).isEqualTo(64);
            assertThat(GgufDequant.toFloats(GgmlType.F16, f.map(f.find("b").orElseThrow()), 3)).containsExactly(1f, -1f, 2f);
        }
    }

    @Test
    void badAlignmentIsCorrupted() throws IOException {
        assertCorrupted(valid().alignment(48).build(), "general.alignment");
        assertCorrupted(valid().alignment(0).build(), "general.alignment");
    }

    @Test
    void everyTruncationIsCorruptedNeverAnotherException() throws IOException {
        byte[] full = valid().build();
        long end;
        try (GgufFile f = GgufFile.open(write(full))) {
            GgufTensor last = f.find("b").orElseThrow();
            end = f.dataStart() + last.offset() + last.byteSize(); // what follows is padding
        }
        for (int n = 0; n < end; n++) {
            Path file = write(Arrays.copyOf(full, n));
            assertThatThrownBy(() -> GgufFile.open(file).close())
                    .as("truncated to %d bytes", n)
                    .isInstanceOfSatisfying(AssistantException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED));
        }
    }

    @Test
    void lyingCountsAreCorrupted() throws IOException {
        byte[] bytes = valid().build();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(8, Long.MAX_VALUE); // tensor count
        assertCorrupted(bytes, "tensor count");
        bytes = valid().build();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(16, 1L << 40); // kv count
        assertCorrupted(bytes, "metadata key/value count");
    }

    @Test
    void hugeArrayLengthIsCorruptedWithoutAllocating() throws IOException {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        GgufBytes.i32(v, 0); // uint8 elements
        GgufBytes.i64(v, Long.MAX_VALUE / 2);
        assertCorrupted(new GgufBytes().raw("x", 9, v.toByteArray()).build(), "array length");
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        GgufBytes.i64(s, -1L); // string length 2^64-1
        assertCorrupted(new GgufBytes().raw("y", 8, s.toByteArray()).build(), "string length");
    }

    @Test
    void tensorBeyondTheFileIsCorrupted() throws IOException {
        byte[] full = valid().build();
        assertCorrupted(Arrays.copyOf(full, full.length - 30), "claims bytes"); // b ends 26 bytes before the end
    }

    @Test
    void misalignedOrOverlappingOffsetsAreCorrupted() throws IOException {
        byte[] bytes = valid().build();
        int at = indexOfOffset(bytes, "b");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(at, 8);
        assertCorrupted(bytes, "alignment");
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(at, 0);
        assertCorrupted(bytes, "overlap");
    }

    @Test
    void unknownTensorTypeIsInvalidNamingIt() throws IOException {
        byte[] bytes = new GgufBytes().tensor("w", 10, new long[]{256}, new byte[84]).build();
        assertThatThrownBy(() -> GgufFile.open(write(bytes)))
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_INVALID);
                    assertThat(e.getMessage()).contains("Q2_K").contains("'w'");
                });
    }

    @Test
    void rowsThatAreNotWholeBlocksAreCorrupted() throws IOException {
        assertCorrupted(new GgufBytes().tensor("w", GgmlType.Q8_0.id(), new long[]{16}, new byte[34]).build(), "block size");
    }

    @Test
    void notGgufIsCorrupted() throws IOException {
        assertCorrupted(new byte[64], "magic");
        assertThat(GgufFile.looksLikeGguf(write(new byte[64]))).isFalse();
        assertThat(GgufFile.looksLikeGguf(write(valid().build()))).isTrue();
    }

    @Test
    void wrongMetadataTypeIsCorruptedNamingTheKey() throws IOException {
        try (GgufFile f = GgufFile.open(write(valid().build()))) {
            assertThatThrownBy(() -> f.integer("general.architecture"))
                    .isInstanceOfSatisfying(AssistantException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
                        assertThat(e.getMessage()).contains("general.architecture");
                    });
        }
    }

    /** Where the offset field of tensor {@code name}'s info lies: after name, n_dims, dims and type. */
    private static int indexOfOffset(byte[] bytes, String name) {
        byte[] needle = ("\u0001\0\0\0\0\0\0\0" + name).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(bytes, i, i + needle.length), needle)) {
                int p = i + needle.length;
                int nDims = ByteBuffer.wrap(bytes, p, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                return p + 4 + 8 * nDims + 4;
            }
        }
        throw new AssertionError("tensor info not found");
    }

    private void assertCorrupted(byte[] bytes, String messagePart) throws IOException {
        Path file = write(bytes);
        assertThatThrownBy(() -> GgufFile.open(file).close())
                .isInstanceOfSatisfying(AssistantException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_CORRUPTED);
                    assertThat(e.getMessage()).contains(messagePart);
                });
    }
}
