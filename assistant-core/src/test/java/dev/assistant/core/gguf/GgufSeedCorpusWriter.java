package dev.assistant.core.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Writes the committed seed inputs of {@code GgufFuzzTest} (run by hand with the output directory as argument when
 * the format coverage should grow; the build only replays the committed files).
 */
public final class GgufSeedCorpusWriter {
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        byte[] q = new byte[34 + 18 + 20 + 144 + 176 + 210 + 22 + 24];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) (i * 37);
        }
        byte[] valid = new GgufBytes()
                .string("general.architecture", "llama")
                .uint32("llama.block_count", 1)
                .float32("llama.rope.freq_base", 10000f)
                .uint32("llama.embedding_length", 4)
                .uint32("llama.feed_forward_length", 8)
                .uint32("llama.attention.head_count", 2)
                .uint32("llama.context_length", 16)
                .string("tokenizer.ggml.model", "llama")
                .uint32("tokenizer.ggml.bos_token_id", 1)
                .uint32("tokenizer.ggml.unknown_token_id", 0)
                .bool("tokenizer.ggml.add_bos_token", true)
                .strings("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "</s>", "▁a"))
                .floats("tokenizer.ggml.scores", new float[]{0, 0, 0, -1})
                .int32s("tokenizer.ggml.token_type", new int[]{2, 3, 3, 1})
                .tensor("f32", GgmlType.F32.id(), new long[]{2, 2}, GgufBytes.f32(1, 2, 3, 4))
                .tensor("f16", GgmlType.F16.id(), new long[]{2}, new byte[]{0, 0x3C, 0, 0x40})
                .tensor("bf16", GgmlType.BF16.id(), new long[]{2}, new byte[]{(byte) 0x80, 0x3F, 0, 0x40})
                .tensor("q8", GgmlType.Q8_0.id(), new long[]{32}, Arrays.copyOfRange(q, 0, 34))
                .tensor("q40", GgmlType.Q4_0.id(), new long[]{32}, Arrays.copyOfRange(q, 34, 52))
                .tensor("q41", GgmlType.Q4_1.id(), new long[]{32}, Arrays.copyOfRange(q, 52, 72))
                .tensor("q4k", GgmlType.Q4_K.id(), new long[]{256}, Arrays.copyOfRange(q, 72, 216))
                .tensor("q5k", GgmlType.Q5_K.id(), new long[]{256}, Arrays.copyOfRange(q, 216, 392))
                .tensor("q6k", GgmlType.Q6_K.id(), new long[]{256}, Arrays.copyOfRange(q, 392, 602))
                .tensor("q50", GgmlType.Q5_0.id(), new long[]{32}, Arrays.copyOfRange(q, 602, 624))
                .tensor("q51", GgmlType.Q5_1.id(), new long[]{32}, Arrays.copyOfRange(q, 624, 648))
                .build();
        Files.write(out.resolve("valid_all_types"), valid);
        Files.write(out.resolve("gpt2_tokenizer"), new GgufBytes()
                .string("general.architecture", "qwen2")
                .string("tokenizer.ggml.model", "gpt2")
                .string("tokenizer.ggml.pre", "qwen2")
                .strings("tokenizer.ggml.tokens", List.of("a", "b", "ab", "<|endoftext|>"))
                .int32s("tokenizer.ggml.token_type", new int[]{1, 1, 1, 3})
                .strings("tokenizer.ggml.merges", List.of("a b"))
                .uint32("tokenizer.ggml.eos_token_id", 3)
                .string("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")
                .build());
        Files.write(out.resolve("aligned_64"), new GgufBytes().alignment(64)
                .tensor("w", GgmlType.F32.id(), new long[]{3}, GgufBytes.f32(1, 2, 3)).build());
        Files.write(out.resolve("truncated_header"), Arrays.copyOf(valid, 100));
        Files.write(out.resolve("truncated_data"), Arrays.copyOf(valid, valid.length - 100));
        byte[] lyingTensors = valid.clone();
        ByteBuffer.wrap(lyingTensors).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 1L << 40);
        Files.write(out.resolve("lying_tensor_count"), lyingTensors);
        byte[] lyingKv = valid.clone();
        ByteBuffer.wrap(lyingKv).order(ByteOrder.LITTLE_ENDIAN).putLong(16, 1L << 40);
        Files.write(out.resolve("lying_kv_count"), lyingKv);
        ByteArrayOutputStream array = new ByteArrayOutputStream();
        GgufBytes.i32(array, 8);
        GgufBytes.i64(array, Long.MAX_VALUE / 4);
        Files.write(out.resolve("huge_array_length"), new GgufBytes().raw("tokens", 9, array.toByteArray()).build());
        ByteArrayOutputStream str = new ByteArrayOutputStream();
        GgufBytes.i64(str, Long.MAX_VALUE);
        Files.write(out.resolve("huge_string_length"), new GgufBytes().raw("s", 8, str.toByteArray()).build());
        Files.write(out.resolve("bad_alignment"), new GgufBytes().alignment(24)
                .tensor("w", GgmlType.F32.id(), new long[]{3}, GgufBytes.f32(1, 2, 3)).build());
        Files.write(out.resolve("huge_dims"), new GgufBytes()
                .tensor("w", GgmlType.F32.id(), new long[]{1L << 40, 1L << 40}, GgufBytes.f32(1)).build());
        Files.write(out.resolve("unknown_type"), new GgufBytes()
                .tensor("w", 99, new long[]{4}, GgufBytes.f32(1, 2, 3, 4)).build());
    }
}
