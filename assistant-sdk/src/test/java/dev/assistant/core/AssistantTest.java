package dev.assistant.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.generation.FinishReason;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The facade end to end on a real model: sync, async, streaming, stops, errors, lifecycle. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AssistantTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Assistant assistant;
    private JsonNode golden;

    @BeforeAll
    void start() throws Exception {
        Path dir = SharedModels.model("stories260K");
        assistant = Assistant.builder().modelPath(dir).device("cpu").workers(2).build();
        golden = JSON.readTree(dir.resolve("reference/golden.json").toFile());
    }

    @AfterAll
    void stop() {
        assistant.close();
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    private static AssistantException failure(Runnable r) {
        try {
            r.run();
        } catch (AssistantException e) {
            return e;
        }
        throw new AssertionError("expected an AssistantException");
    }

    @Test
    void generateFromPromptTokenizesWithSpecialTokensAndMatchesTheGoldenContinuation() {
        JsonNode c = golden.get("cases").get(0);
        Completion done = assistant.generate(GenerateRequest.builder().prompt(c.get("prompt").asText())
                .maxNewTokens(32).ignoreStops(true).build());
        assertThat(done.inputIds()).containsExactly(ints(c.get("input_ids")));
        assertThat(done.outputIds()).containsExactly(ints(c.get("greedy_new_ids")));
        assertThat(done.usage().promptTokens()).isEqualTo(c.get("input_ids").size());
        assertThat(done.usage().completionTokens()).isEqualTo(32);
        assertThat(done.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(done.usage().timeToFirstTokenNanos()).isPositive().isLessThanOrEqualTo(done.usage().totalNanos());
        assertThat(done.usage().decodeTokensPerSecond()).isPositive();
        assertThat(done.text()).isEqualTo(assistant.tokenizer().decode(done.outputIds(), true));
    }

    @Test
    void eosEndsGenerationAndIsNotPartOfTheAnswer() {
        // stories260K ends a story by predicting BOS (id 1); with eos = {1, 2} from config and generation config
        // only id 2 is listed, so use a long run and check the output never contains an EOS id.
        Completion done = assistant.generate(GenerateRequest.builder().inputIds(1).maxNewTokens(300).build());
        assertThat(done.outputIds()).doesNotContain(2);
        assertThat(done.finishReason()).isIn(FinishReason.EOS, FinishReason.LENGTH);
    }

    @Test
    void streamedTextEqualsTheFinalText() throws Exception {
        StringBuilder streamed = new StringBuilder();
        Completion done = assistant.chatStream(ChatRequest.builder().user("Once upon a time").maxNewTokens(40).build(),
                streamed::append).get(60, TimeUnit.SECONDS);
        assertThat(streamed.toString()).isEqualTo(done.text()).isNotEmpty();
    }

    @Test
    void publisherDeliversTheSameTextAndCompletes() throws Exception {
        GenerateRequest request = GenerateRequest.builder().prompt("The cat").maxNewTokens(30).build();
        String expected = assistant.generate(request).text();
        List<String> pieces = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        assistant.generatePublisher(request).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String item) {
                pieces.add(item);
            }

            @Override
            public void onError(Throwable t) {
                done.countDown();
            }

            @Override
            public void onComplete() {
                done.countDown();
            }
        });
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(String.join("", pieces)).isEqualTo(expected);
    }

    @Test
    void sameSeedGivesTheSameAnswerAndAnotherSeedUsuallyNot() {
        SamplingParams sampling = SamplingParams.builder().temperature(1.2).topK(40).seed(1234).build();
        GenerateRequest a = GenerateRequest.builder().prompt("Lily").maxNewTokens(40).sampling(sampling).build();
        String first = assistant.generate(a).text();
        assertThat(assistant.generate(a).text()).isEqualTo(first);
        GenerateRequest b = GenerateRequest.builder().prompt("Lily").maxNewTokens(40)
                .sampling(sampling.toBuilder().seed(99).build()).build();
        assertThat(assistant.generate(b).text()).isNotEqualTo(first);
    }

    @Test
    void stopStringCutsTheAnswerExactly() {
        GenerateRequest free = GenerateRequest.builder().prompt("Once upon a time").maxNewTokens(40).build();
        String full = assistant.generate(free).text();
        String stop = full.substring(20, 24);
        int cut = full.indexOf(stop);
        Completion stopped = assistant.generate(GenerateRequest.builder().prompt("Once upon a time").maxNewTokens(40)
                .stop(stop).build());
        assertThat(stopped.text()).isEqualTo(full.substring(0, cut));
        assertThat(stopped.finishReason()).isEqualTo(FinishReason.STOP_STRING);
    }

    @Test
    void promptLongerThanTheContextIsAContextOverflow() {
        String huge = "Once upon a time there was a cat. ".repeat(400);
        AssistantException e = failure(() -> assistant.generate(GenerateRequest.of(huge)));
        assertThat(e.code()).isEqualTo(ErrorCode.CONTEXT_OVERFLOW);
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.getMessage()).contains("512");
    }

    @Test
    void emptyAndOutOfVocabularyInputsAreInvalidRequests() {
        assertThat(failure(() -> assistant.generate(GenerateRequest.builder().inputIds().build())).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(failure(() -> assistant.generate(GenerateRequest.builder().inputIds(1, 99999).build())).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        // an empty prompt is still a valid request: the tokenizer adds BOS
        assertThat(assistant.generate(GenerateRequest.builder().prompt("").maxNewTokens(3).build()).inputIds())
                .containsExactly(1);
    }

    @Test
    void timeoutCancelsTheRequest() {
        AssistantException e = failure(() -> assistant.generate(GenerateRequest.builder().inputIds(1).maxNewTokens(500)
                .ignoreStops(true).timeout(Duration.ofMillis(5)).build()));
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
    }

    @Test
    void cancellingTheFutureStopsGeneration() throws Exception {
        CountDownLatch firstText = new CountDownLatch(1);
        CompletableFuture<Completion> f = assistant.generateStream(GenerateRequest.builder().inputIds(1)
                .maxNewTokens(500).ignoreStops(true).build(), d -> firstText.countDown());
        assertThat(firstText.await(60, TimeUnit.SECONDS)).isTrue();
        f.cancel(true);
        assertThat(f).isCancelled();
    }

    @Test
    void fullQueueIsOverloadedImmediately() throws Exception {
        try (Assistant small = Assistant.builder().modelPath(SharedModels.model("stories260K")).device("cpu")
                .workers(1).queueCapacity(1).build()) {
            GenerateRequest slow = GenerateRequest.builder().inputIds(1).maxNewTokens(500).ignoreStops(true).build();
            // An async call is queued on the calling thread before it returns: one place in the batch plus one in
            // the queue are taken by the first two (500 tokens each take far longer than three calls to start), so
            // the third is refused at once.
            CompletableFuture<Completion> running = small.generateAsync(slow);
            CompletableFuture<Completion> queued = small.generateAsync(slow);
            CompletableFuture<Completion> rejected = small.generateAsync(slow);
            try {
                ExecutionException e = catchThrowableOfType(() -> rejected.get(5, TimeUnit.SECONDS),
                        ExecutionException.class);
                assertThat(e).isNotNull();
                AssistantException cause = (AssistantException) e.getCause();
                assertThat(cause.code()).isEqualTo(ErrorCode.OVERLOADED);
                assertThat(cause.httpStatus()).isEqualTo(503);
                assertThat(queued).isNotDone();
            } finally {
                running.cancel(true);
                queued.cancel(true);
            }
        }
    }

    @Test
    void builderFailsFastOnMisconfiguration() {
        assertThatThrownBy(() -> Assistant.builder().workers(0)).isInstanceOf(AssistantException.class);
        assertThatThrownBy(() -> Assistant.builder().device("tpu")).isInstanceOf(AssistantException.class)
                .hasMessageContaining("tpu");
        assertThatThrownBy(() -> Assistant.builder().dtype("int4")).isInstanceOf(AssistantException.class);
        assertThatThrownBy(() -> Assistant.builder().workers(2).workers(3)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Assistant.builder().build()).isInstanceOf(AssistantException.class)
                .hasMessageContaining("modelPath");
    }

    @Test
    void closedAssistantRefusesCalls() {
        Assistant other = Assistant.builder().modelPath(SharedModels.model("tinystories-gpt2-mini")).device("cpu").build();
        assertThat(other.generate(GenerateRequest.builder().prompt("Hi").maxNewTokens(2).build()).outputIds()).hasSize(2);
        other.close();
        other.close();
        assertThat(failure(() -> other.generate(GenerateRequest.of("Hi"))).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
    }

    @Test
    void aJvmThatChatsAndClosesExitsByItself() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                ChatAndCloseMain.class.getName(), SharedModels.model("stories260K").toString())
                .redirectErrorStream(true).redirectOutput(new File("target/chat-and-close.log")).start();
        boolean exited = p.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        assertThat(exited).as("child JVM exited by itself (see target/chat-and-close.log)").isTrue();
        assertThat(p.exitValue()).isZero();
    }
}
