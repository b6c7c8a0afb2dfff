package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Concurrent calls through the facade share batched steps yet get the answers they would get alone. */
class AssistantConcurrencyTest {

    /** Runs {@code requests} one by one, then all at once, and checks each got the same tokens both times. */
    private static void assertConcurrentEqualsAlone(Assistant assistant, List<GenerateRequest> requests) throws Exception {
        List<int[]> alone = new ArrayList<>();
        for (GenerateRequest r : requests) {
            alone.add(assistant.generate(r).outputIds());
        }
        List<CompletableFuture<Completion>> together = new ArrayList<>();
        for (GenerateRequest r : requests) {
            together.add(assistant.generateAsync(r));
        }
        for (int i = 0; i < requests.size(); i++) {
            Completion c = together.get(i).get(120, TimeUnit.SECONDS);
            assertThat(c.outputIds()).as("request %d", i).containsExactly(alone.get(i));
            assertThat(c.usage().timeToFirstTokenNanos()).isPositive();
        }
    }

    private static List<GenerateRequest> requests(String[] prompts, boolean sampleEveryOther) {
        List<GenerateRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            GenerateRequest.Builder b = GenerateRequest.builder().prompt(prompts[i]).maxNewTokens(16 + 4 * i)
                    .ignoreStops(true);
            if (sampleEveryOther && i % 2 == 1) { // sampled requests keep their own random state inside the batch
                b.sampling(SamplingParams.builder().temperature(0.9).topK(40).seed(100 + i).build());
            }
            requests.add(b.build());
        }
        return requests;
    }

    @Test
    void concurrentRequestsGetTokenForTokenTheAnswersTheyGetAlone() throws Exception {
        String[] prompts = {"Once upon a time", "The cat", "Lily wanted to", "One day, a little", "Tom", "The sun"};
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .workers(8).build()) {
            assertConcurrentEqualsAlone(assistant, requests(prompts, true));
        }
    }

    @Test
    void int8RequestsBatchedTogetherAlsoMatchTheirAnswersAlone() throws Exception {
        String[] prompts = {"Once upon a time", "The cat", "Lily wanted to", "Tom"};
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .dtype("int8").workers(4).build()) {
            assertConcurrentEqualsAlone(assistant, requests(prompts, false));
        }
    }

    @Test
    void gpt2RequestsBatchedTogetherAlsoMatchTheirAnswersAlone() throws Exception {
        String[] prompts = {"Once upon a time", "The dog", "A girl named Sue", "It was"};
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("tinystories-gpt2-mini"))
                .device("cpu").workers(4).build()) {
            assertConcurrentEqualsAlone(assistant, requests(prompts, false));
        }
    }

    @Test
    void aRequestLargerThanTheMemoryBudgetIsResourceExhaustedAndSmallOnesStillRun() {
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .memoryBudgetBytes(512 * 1024).build()) {
            assertThatThrownBy(() -> assistant.generate(GenerateRequest.builder().inputIds(1).maxNewTokens(500).build()))
                    .isInstanceOf(AssistantException.class)
                    .satisfies(e -> assertThat(((AssistantException) e).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
            assertThat(assistant.generate(GenerateRequest.builder().inputIds(1).maxNewTokens(8).ignoreStops(true).build())
                    .outputIds()).hasSize(8);
        }
        assertThatThrownBy(() -> Assistant.builder().memoryBudgetBytes(0)).isInstanceOf(AssistantException.class);
    }

    @Test
    void anInt8KvCacheLetsARequestFitABudgetItsFloatCacheWouldExceed() {
        // 501 positions x 1,280 bytes (f32) exceed 512 KiB; x 480 bytes (int8, 8 + 4 per head) do not
        try (Assistant assistant = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .kvCache("int8").memoryBudgetBytes(512 * 1024).build()) {
            assertThat(assistant.generate(GenerateRequest.builder().inputIds(1).maxNewTokens(500).ignoreStops(true)
                    .build()).outputIds()).hasSize(500);
        }
        assertThatThrownBy(() -> Assistant.builder().kvCache("int8").kvCacheType(dev.assistant.core.engine.KvCacheType.F32))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("kvCacheType was already set");
        assertThatThrownBy(() -> Assistant.builder().kvCache("int4")).isInstanceOf(AssistantException.class)
                .hasMessageContaining("unknown KV cache type");
    }
}
