package dev.assistant.core.generation;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.testing.ForwardingModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Continuous batching on a real model: same tokens as alone, budgets, cancellation, overload, fairness. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchingEngineTest {
    private static final ThreadFactory DAEMONS = r -> {
        Thread t = new Thread(r, "test-engine");
        t.setDaemon(true);
        return t;
    };
    private static final Generator.TextStream NO_TEXT = new Generator.TextStream() {
        @Override
        public String push(int id) {
            return "";
        }

        @Override
        public String flush() {
            return "";
        }
    };

    private CausalLanguageModel model;

    @BeforeAll
    void load() {
        model = EngineProviders.discover().load(ModelDirectory.read(SharedModels.model("stories260K"), false),
                LoadOptions.builder().device("cpu").build());
    }

    @AfterAll
    void close() {
        model.close();
    }

    private static GenerationRequest greedy(int maxNewTokens, int... prompt) {
        return new GenerationRequest(prompt, maxNewTokens, SamplingParams.GREEDY, List.of(), Set.of(), true);
    }

    private static BatchingEngine.Job job(GenerationRequest request, String caller, Generator.Listener listener) {
        return new BatchingEngine.Job(request, NO_TEXT, listener, new SplittableRandom(7), caller,
                CancellationToken.noDeadline(), depth -> {
        });
    }

    private BatchingEngine engine(BatchingSettings settings) {
        return new BatchingEngine(model, settings, System::nanoTime, DAEMONS);
    }

    private static AssistantException failure(BatchingEngine.Ticket ticket) throws InterruptedException {
        try {
            ticket.result().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return (AssistantException) e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the request did not end", e);
        }
        throw new AssertionError("expected the request to fail");
    }

    /** Prompts of different lengths, so that the batch mixes prefill chunks and decode steps at different positions. */
    private static int[][] prompts() {
        return new int[][]{{1}, {1, 403, 261}, {1, 80, 81, 82, 83, 84, 85}, {1, 300}, {1, 33, 44, 55, 66, 77, 88, 99,
                111, 122, 133}, {1, 7}};
    }

    /** The greedy tokens of each prompt run alone ({@code maxNewTokens.applyAsInt(i)} new tokens for prompt i). */
    private int[][] tokensAlone(int[][] prompts, java.util.function.IntUnaryOperator maxNewTokens) throws Exception {
        int[][] alone = new int[prompts.length][];
        try (BatchingEngine single = engine(BatchingSettings.builder().maxBatch(1).build())) {
            for (int i = 0; i < prompts.length; i++) {
                alone[i] = single.submit(job(greedy(maxNewTokens.applyAsInt(i), prompts[i]), "a",
                        Generator.Listener.NONE)).result().get(60, TimeUnit.SECONDS).outputIds();
            }
        }
        return alone;
    }

    @Test
    void concurrentGreedyRequestsGetExactlyTheTokensTheyGetAlone() throws Exception {
        int[][] prompts = prompts();
        int[][] alone = tokensAlone(prompts, i -> 24 + 5 * i);
        // the sequential decoding loop agrees with the engine run alone
        assertThat(new Generator(model, System::nanoTime).run(greedy(24, prompts[0]), NO_TEXT, Generator.Listener.NONE,
                new SplittableRandom(1), () -> false).outputIds()).containsExactly(alone[0]);
        // small prefill chunks: prompts are evaluated over several steps, interleaved with other requests' decoding
        try (BatchingEngine batched = engine(BatchingSettings.builder().maxBatch(8).prefillChunkTokens(4).build())) {
            List<BatchingEngine.Ticket> tickets = new ArrayList<>();
            AtomicInteger largestBatch = new AtomicInteger();
            for (int i = 0; i < prompts.length; i++) {
                tickets.add(batched.submit(job(greedy(24 + 5 * i, prompts[i]), "c" + i, new Generator.Listener() {
                    @Override
                    public void onToken(int id) {
                        largestBatch.accumulateAndGet(batched.active(), Math::max);
                    }
                })));
            }
            for (int i = 0; i < prompts.length; i++) {
                GenerationResult r = tickets.get(i).result().get(60, TimeUnit.SECONDS);
                assertThat(r.outputIds()).as("request %d", i).containsExactly(alone[i]);
                assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
            }
            assertThat(largestBatch.get()).as("requests really ran together").isGreaterThan(1);
        }
    }

    /**
     * The engine runs step after step in the same logits arrays (the model writes into them through
     * {@code forwardBatchInto}, here its default, which copies from {@code forwardBatch}) and gets the tokens it gets
     * with new arrays.
     */
    @Test
    void theEngineReusesItsLogitsArraysAndGetsTheSameTokens() throws Exception {
        int[][] prompts = prompts();
        int[][] alone = tokensAlone(prompts, i -> 12 + 3 * i);
        java.util.Set<float[]> arrays = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        AtomicInteger steps = new AtomicInteger();
        AtomicInteger largestStep = new AtomicInteger();
        CausalLanguageModel recording = new ForwardingModel(model) {
            @Override
            public void forwardBatchInto(List<? extends Sequence> sequences, List<int[]> inputs, float[][] logits) {
                steps.incrementAndGet();
                largestStep.accumulateAndGet(sequences.size(), Math::max);
                for (int i = 0; i < sequences.size(); i++) {
                    arrays.add(logits[i]);
                }
                super.forwardBatchInto(sequences, inputs, logits);
            }
        };
        try (BatchingEngine batched = new BatchingEngine(recording, BatchingSettings.builder().maxBatch(8).build(),
                System::nanoTime, DAEMONS)) {
            List<BatchingEngine.Ticket> tickets = new ArrayList<>();
            for (int i = 0; i < prompts.length; i++) {
                tickets.add(batched.submit(job(greedy(12 + 3 * i, prompts[i]), "c" + i, Generator.Listener.NONE)));
            }
            for (int i = 0; i < prompts.length; i++) {
                assertThat(tickets.get(i).result().get(60, TimeUnit.SECONDS).outputIds()).as("request %d", i)
                        .containsExactly(alone[i]);
            }
        }
        assertThat(steps.get()).as("steps").isGreaterThan(12);
        assertThat(arrays).as("one array per row of the largest step, whatever the number of steps")
                .hasSize(largestStep.get());
    }

    /** The SPI's default {@code forwardBatchInto} refuses arrays that do not fit before anything is evaluated. */
    @Test
    void forwardBatchIntoRefusesArraysThatDoNotFitAndEvaluatesNothing() {
        CausalLanguageModel byDefault = new ForwardingModel(model);
        int vocab = model.config().vocabSize();
        try (Sequence a = model.newSequence(16); Sequence b = model.newSequence(16)) {
            assertThatThrownBy(() -> byDefault.forwardBatchInto(List.of(a, b), List.of(new int[]{1}, new int[]{1}),
                    new float[][]{new float[vocab], new float[vocab + 1]}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits array 1");
            assertThatThrownBy(() -> byDefault.forwardBatchInto(List.of(a, b), List.of(new int[]{1}, new int[]{1}),
                    new float[][]{new float[vocab]}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 logits arrays for 2");
            assertThat(a.length()).isZero();
            assertThat(b.length()).isZero();
            float[][] into = {new float[vocab], new float[vocab], new float[vocab]};
            into[2][0] = 42f;
            byDefault.forwardBatchInto(List.of(a, b), List.of(new int[]{1, 50}, new int[]{1}), into);
            try (Sequence c = model.newSequence(16)) {
                assertThat(into[0]).containsExactly(c.forward(new int[]{1, 50}), org.assertj.core.data.Offset.offset(1e-4f));
            }
            assertThat(into[2][0]).as("past the sequences").isEqualTo(42f);
            assertThat(a.length()).isEqualTo(2);
        }
    }

    @Test
    void aBatchedForwardPassEqualsSeparatePassesAndAFailedOneChangesNothing() {
        try (Sequence a = model.newSequence(16); Sequence b = model.newSequence(16);
             Sequence c = model.newSequence(16); Sequence d = model.newSequence(16)) {
            float[] expectedA = c.forward(new int[]{1, 50, 60});
            float[] expectedB = d.forward(new int[]{1, 70});
            float[][] got = model.forwardBatch(List.of(a, b), List.of(new int[]{1, 50, 60}, new int[]{1, 70}));
            assertThat(got[0]).containsExactly(expectedA, org.assertj.core.data.Offset.offset(1e-4f));
            assertThat(got[1]).containsExactly(expectedB, org.assertj.core.data.Offset.offset(1e-4f));
            assertThat(a.length()).isEqualTo(3);
            // an id outside the vocabulary in one sequence fails the whole pass and leaves both untouched
            assertThatThrownBy(() -> model.forwardBatch(List.of(a, b), List.of(new int[]{5}, new int[]{100_000})))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(a.length()).isEqualTo(3);
            assertThat(b.length()).isEqualTo(2);
            assertThatThrownBy(() -> model.forwardBatch(List.of(a, a), List.of(new int[]{5}, new int[]{6})))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aRequestThatCannotFitTheMemoryBudgetIsResourceExhaustedAndTheOthersCarryOn() throws Exception {
        // room for the caches of two requests of 12 tokens and a step of theirs, never for a third or one of 400
        long budget = 2 * model.kvCacheBytes(12) + model.activationBytes(2, 12) + model.kvCacheBytes(12) / 2;
        try (BatchingEngine engine = engine(BatchingSettings.builder().maxBatch(8).memoryBudgetBytes(budget).build())) {
            assertThatThrownBy(() -> engine.submit(job(greedy(399, 1), "big", Generator.Listener.NONE)))
                    .isInstanceOf(AssistantException.class)
                    .satisfies(e -> assertThat(((AssistantException) e).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED))
                    .hasMessageContaining("memory budget");
            AtomicInteger mostAtOnce = new AtomicInteger();
            List<BatchingEngine.Ticket> tickets = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                tickets.add(engine.submit(job(greedy(10, 1, 100 + i), "c" + i, new Generator.Listener() {
                    @Override
                    public void onToken(int id) {
                        mostAtOnce.accumulateAndGet(engine.active(), Math::max);
                        assertThat(engine.reservedKvBytes()).isLessThanOrEqualTo(budget);
                    }
                })));
            }
            for (BatchingEngine.Ticket t : tickets) {
                assertThat(t.result().get(60, TimeUnit.SECONDS).outputIds()).hasSize(10);
            }
            assertThat(mostAtOnce.get()).isBetween(1, 2);
            assertThat(engine.reservedKvBytes()).isZero();
        }
    }

    @Test
    void anAllocationFailureHalvesTheBatchAndOnlyTheRequestThatFailsAloneIsLost() throws Exception {
        // The real model, behind a wrapper that fails like libtorch's allocator whenever a step holds more than two
        // sequences, or holds the poisoned prompt token 499 at all.
        CausalLanguageModel flaky = new ForwardingModel(model) {
            @Override
            public float[][] forwardBatch(List<? extends Sequence> sequences, List<int[]> inputs) {
                boolean poisoned = inputs.stream().anyMatch(in -> in[in.length - 1] == 499);
                if (sequences.size() > 2 || poisoned) {
                    throw new ai.djl.engine.EngineException("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: "
                            + "can't allocate memory");
                }
                return super.forwardBatch(sequences, inputs);
            }
        };
        try (BatchingEngine engine = new BatchingEngine(flaky, BatchingSettings.builder().maxBatch(8).build(),
                System::nanoTime, DAEMONS)) {
            BatchingEngine.Ticket poisoned = engine.submit(job(greedy(5, 1, 499), "p", Generator.Listener.NONE));
            List<BatchingEngine.Ticket> tickets = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                tickets.add(engine.submit(job(greedy(12, 1, 200 + i), "c" + i, Generator.Listener.NONE)));
            }
            assertThat(failure(poisoned).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
            for (BatchingEngine.Ticket t : tickets) {
                assertThat(t.result().get(60, TimeUnit.SECONDS).outputIds()).hasSize(12);
            }
        }
    }

    @Test
    void cancellingFreesThePlaceAndTheCacheAtTheNextStep() throws Exception {
        try (BatchingEngine engine = engine(BatchingSettings.builder().maxBatch(1).queueCapacity(1).build())) {
            CountDownLatch generating = new CountDownLatch(1);
            BatchingEngine.Ticket running = engine.submit(job(greedy(500, 1), "a", new Generator.Listener() {
                @Override
                public void onToken(int id) {
                    generating.countDown();
                }
            }));
            assertThat(generating.await(60, TimeUnit.SECONDS)).isTrue();
            BatchingEngine.Ticket queued = engine.submit(job(greedy(3, 1), "b", Generator.Listener.NONE));
            // batch of one plus a queue of one: the next is refused at once
            assertThatThrownBy(() -> engine.submit(job(greedy(3, 1), "c", Generator.Listener.NONE)))
                    .satisfies(e -> assertThat(((AssistantException) e).code()).isEqualTo(ErrorCode.OVERLOADED))
                    // never "retry at once": that only adds load to a saturated engine
                    .satisfies(e -> assertThat(((AssistantException) e).retryAfterNanos().orElse(0))
                            .isGreaterThanOrEqualTo(DrainRate.MIN_NANOS));
            running.cancel();
            // the result fails at once; the place and the cache are given back at the next step, so the queued
            // request (which needs the only place) can run
            assertThat(failure(running).code()).isEqualTo(ErrorCode.CANCELLED);
            assertThat(queued.result().get(60, TimeUnit.SECONDS).outputIds()).hasSize(3);
            assertThat(engine.active()).isZero();
            assertThat(engine.reservedKvBytes()).isZero();
        }
    }

    @Test
    void aQueuedRequestPastItsDeadlineTimesOutAndACancelledOneIsCancelled() throws Exception {
        try (BatchingEngine engine = engine(BatchingSettings.builder().maxBatch(1).build())) {
            CountDownLatch generating = new CountDownLatch(1);
            BatchingEngine.Ticket running = engine.submit(job(greedy(500, 1), "a", new Generator.Listener() {
                @Override
                public void onToken(int id) {
                    generating.countDown();
                }
            }));
            assertThat(generating.await(60, TimeUnit.SECONDS)).isTrue();
            // no timer outside: the engine itself notices the deadline has passed
            CancellationToken lateToken = new CancellationToken(System.nanoTime());
            BatchingEngine.Ticket late = engine.submit(new BatchingEngine.Job(greedy(3, 1), NO_TEXT,
                    Generator.Listener.NONE, new SplittableRandom(1), "b", lateToken, d -> {
            }));
            CancellationToken stop = CancellationToken.noDeadline();
            stop.cancel();
            BatchingEngine.Ticket cancelled = engine.submit(new BatchingEngine.Job(greedy(3, 1), NO_TEXT,
                    Generator.Listener.NONE, new SplittableRandom(1), "c", stop, d -> {
            }));
            assertThat(failure(late).code()).isEqualTo(ErrorCode.TIMEOUT);
            assertThat(lateToken.reason().code()).as("the token says why").isEqualTo(ErrorCode.TIMEOUT);
            assertThat(failure(cancelled).code()).isEqualTo(ErrorCode.CANCELLED);
            assertThat(engine.queueDepth()).isZero();
            running.cancel();
            assertThat(failure(running).code()).isEqualTo(ErrorCode.CANCELLED);
        }
    }

    @Test
    void callersTakeTurnsInTheQueue() throws Exception {
        try (BatchingEngine engine = engine(BatchingSettings.builder().maxBatch(1).queueCapacity(16).build())) {
            CountDownLatch generating = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            BatchingEngine.Ticket blocker = engine.submit(job(greedy(3, 1), "x", new Generator.Listener() {
                @Override
                public void onToken(int id) {
                    generating.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS); // holds the only place while the queue fills
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }));
            assertThat(generating.await(60, TimeUnit.SECONDS)).isTrue();
            List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
            List<BatchingEngine.Ticket> tickets = new ArrayList<>();
            String[] callers = {"greedy", "greedy", "greedy", "greedy", "polite", "other"};
            for (String caller : callers) {
                tickets.add(engine.submit(new BatchingEngine.Job(greedy(1, 1), NO_TEXT, Generator.Listener.NONE,
                        new SplittableRandom(1), caller, CancellationToken.noDeadline(), d -> order.add(caller))));
            }
            release.countDown();
            blocker.result().get(60, TimeUnit.SECONDS);
            for (BatchingEngine.Ticket t : tickets) {
                t.result().get(60, TimeUnit.SECONDS);
            }
            assertThat(order).containsExactly("greedy", "polite", "other", "greedy", "greedy", "greedy");
        }
    }

    @Test
    void closingFailsWhatIsLeftAndRefusesNewRequests() throws Exception {
        BatchingEngine engine = engine(BatchingSettings.builder().maxBatch(1).build());
        BatchingEngine.Ticket running = engine.submit(job(greedy(500, 1), "a", Generator.Listener.NONE));
        BatchingEngine.Ticket queued = engine.submit(job(greedy(500, 1), "b", Generator.Listener.NONE));
        engine.close();
        assertThat(failure(queued).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE);
        assertThat(running.result().isDone()).isTrue();
        assertThatThrownBy(() -> engine.submit(job(greedy(3, 1), "c", Generator.Listener.NONE)))
                .satisfies(e -> assertThat(((AssistantException) e).code()).isEqualTo(ErrorCode.ENGINE_UNAVAILABLE));
    }
}
