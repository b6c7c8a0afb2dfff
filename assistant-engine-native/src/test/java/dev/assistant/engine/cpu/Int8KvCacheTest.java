package dev.assistant.engine.cpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The INT8 KV cache on stories260K against the float32 cache, both on the native engine with the same float32
 * weights: perplexity of the golden text within +0.5%, greedy continuations compared, under half the bytes per
 * sequence (the engine's own accounting, equal to what a sequence allocates), and a fork (what the prefix cache
 * hands out) continuing exactly as a sequence that evaluated everything itself.
 */
class Int8KvCacheTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path STORIES = SharedModels.model("stories260K");

    private static CausalLanguageModel load(KvCacheType type, String kernels) {
        return NativeLlamaLayersTest.load(STORIES, LoadOptions.builder().device("cpu").threads(2).kvCacheType(type)
                .engineOption(NativeEngineProvider.KERNELS_OPTION, kernels).build());
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    static double perplexity(CausalLanguageModel model, int[] ids) {
        double nll = 0;
        try (Sequence s = model.newSequence(ids.length)) {
            float[][] all = s.forwardAll(ids);
            for (int i = 0; i + 1 < ids.length; i++) {
                nll -= logSoftmax(all[i], ids[i + 1]);
            }
        }
        return Math.exp(nll / (ids.length - 1));
    }

    private static double logSoftmax(float[] logits, int target) {
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

    private static int[] greedy(CausalLanguageModel model, int[] prompt, int steps) {
        int[] out = new int[steps];
        try (Sequence seq = model.newSequence(prompt.length + steps)) {
            float[] logits = seq.forward(prompt);
            for (int i = 0; i < steps; i++) {
                out[i] = NativeLlamaLayersTest.argmax(logits);
                if (i + 1 < steps) {
                    logits = seq.forward(new int[]{out[i]});
                }
            }
        }
        return out;
    }

    /** How two models' greedy continuations of the golden cases agree (32 tokens each). */
    record Agreement(int sameFirst, int agreeing, int total) {
    }

    /** Per golden case: whether the first tokens are equal, and the tokens equal before the first difference. */
    static Agreement greedyAgreement(CausalLanguageModel reference, CausalLanguageModel other, JsonNode golden) {
        int sameFirst = 0;
        int agreeing = 0;
        int total = 0;
        for (JsonNode c : golden.get("cases")) {
            int[] input = ints(c.get("input_ids"));
            int[] a = greedy(reference, input, 32);
            int[] b = greedy(other, input, 32);
            sameFirst += a[0] == b[0] ? 1 : 0;
            for (int i = 0; i < a.length && a[i] == b[i]; i++) {
                agreeing++;
            }
            total += a.length;
        }
        return new Agreement(sameFirst, agreeing, total);
    }

    @ParameterizedTest(name = "{0} kernels")
    @ValueSource(strings = {"avx512", "avx2", "x86-64"})
    void perplexityWithinHalfAPercentAndGreedyContinuationsCompared(String kernels) throws IOException {
        JsonNode golden = JSON.readTree(STORIES.resolve("reference/golden.json").toFile());
        try (CausalLanguageModel f32 = load(KvCacheType.F32, kernels);
             CausalLanguageModel int8 = load(KvCacheType.INT8, kernels)) {
            assertThat(int8.kvCacheType()).isEqualTo(KvCacheType.INT8);
            assertThat(int8.computeType()).as("the weights stay float32").isEqualTo("f32");
            int[] ids = ints(golden.get("perplexity").get("input_ids"));
            double f32Ppl = perplexity(f32, ids);
            double int8Ppl = perplexity(int8, ids);
            System.out.printf("[int8 KV] stories260K (%s, %d tokens): perplexity %.4f with the INT8 cache, %.4f with "
                    + "float32 (%+.3f%%)%n", kernels, ids.length, int8Ppl, f32Ppl, 100 * (int8Ppl / f32Ppl - 1));
            assertThat(int8Ppl).isLessThanOrEqualTo(f32Ppl * 1.005);
            assertThat(int8Ppl).as("a cache that ignored its contents would not stay this close")
                    .isGreaterThan(f32Ppl * 0.98);

            Agreement agreement = greedyAgreement(f32, int8, golden);
            System.out.printf("[int8 KV] stories260K (%s): first greedy token equal on %d of 8 prompts; %d of %d "
                    + "greedy tokens agree with the float32 cache before the first difference%n", kernels,
                    agreement.sameFirst(), agreement.agreeing(), agreement.total());
            assertThat(agreement.sameFirst()).isGreaterThanOrEqualTo(7);
            assertThat(agreement.agreeing()).isGreaterThanOrEqualTo(agreement.total() / 2);
        }
    }

    @Test
    void aSequenceTakesUnderHalfTheBytesAndAllocatesExactlyWhatTheEngineCounts() {
        try (CausalLanguageModel f32 = load(KvCacheType.F32, "avx512");
             CausalLanguageModel int8 = load(KvCacheType.INT8, "avx512")) {
            int context = int8.contextLength();
            long f32Bytes = f32.kvCacheBytes(context);
            long int8Bytes = int8.kvCacheBytes(context);
            System.out.printf("[int8 KV] stories260K at %d tokens: %d bytes per sequence (INT8) vs %d (float32), "
                    + "%.3fx%n", context, int8Bytes, f32Bytes, int8Bytes / (double) f32Bytes);
            // head_dim 8: (8 + 4) / 32 bytes per head and position
            assertThat(int8Bytes * 2).isLessThanOrEqualTo(f32Bytes);
            assertThat(int8Bytes).isEqualTo(KvCacheType.INT8.bytesPerToken(int8.config()) * context);
            try (Sequence a = f32.newSequence(context); Sequence b = int8.newSequence(context)) {
                assertThat(((NativeLlamaModel) f32).sequenceCacheBytes(a)).isEqualTo(f32Bytes);
                assertThat(((NativeLlamaModel) int8).sequenceCacheBytes(b)).isEqualTo(int8Bytes);
            }
        }
    }

    @ParameterizedTest(name = "{0} kernels")
    @ValueSource(strings = {"avx512", "x86-64"})
    void aForkContinuesExactlyAsASequenceThatEvaluatedEverythingAndBatchesChangeNothing(String kernels) {
        try (CausalLanguageModel model = load(KvCacheType.INT8, kernels)) {
            int[] prefix = new int[40];
            int[] rest = new int[9];
            for (int i = 0; i < prefix.length; i++) {
                prefix[i] = 3 + (i * 37) % 500;
            }
            for (int i = 0; i < rest.length; i++) {
                rest[i] = 5 + (i * 53) % 500;
            }
            int[] whole = new int[prefix.length + rest.length];
            System.arraycopy(prefix, 0, whole, 0, prefix.length);
            System.arraycopy(rest, 0, whole, prefix.length, rest.length);
            float[] alone;
            try (Sequence s = model.newSequence(whole.length)) {
                alone = s.forward(whole);
            }
            try (Sequence cached = model.newSequence(prefix.length + 3)) {
                cached.forward(prefix);
                // a fork of a larger capacity: the copy moves scales and elements to the new strides
                try (Sequence fork = cached.fork(whole.length + 20).orElseThrow();
                     Sequence other = model.newSequence(whole.length)) {
                    assertThat(fork.length()).isEqualTo(prefix.length);
                    float[][] batch = model.forwardBatch(List.of(fork, other), List.of(rest, whole));
                    assertThat(batch[0]).as("fork, then the rest").containsExactly(alone);
                    assertThat(batch[1]).as("the same tokens next to it in one batch").containsExactly(alone);
                }
            }
        }
    }
}
