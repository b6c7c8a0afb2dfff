package dev.assistant.core.generation;

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
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several choices of one prompt: the prompt is evaluated once and each choice continues from a copy of its KV cache,
 * giving exactly the tokens each choice gets when run alone; a backend that cannot copy evaluates it per choice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChoicesTest {
    private static final ThreadFactory DAEMONS = r -> {
        Thread t = new Thread(r, "test-engine");
        t.setDaemon(true);
        return t;
    };
    private static final int[] PROMPT = {1, 403, 261, 80, 81, 82, 83, 84, 85, 33, 44};
    private CausalLanguageModel model;

    @BeforeAll
    void load() {
        // the PyTorch engine, as before the engines moved to their own modules
        model = EngineProviders.discover().named("pytorch").orElseThrow().load(
                ModelDirectory.read(SharedModels.model("stories260K"), false),
                LoadOptions.builder().device("cpu").build());
    }

    @AfterAll
    void close() {
        model.close();
    }

    /** Counts prompt evaluations (forward calls of more than one token); optionally refuses to copy caches. */
    private final class Counting extends ForwardingModel {
        final AtomicInteger prefills = new AtomicInteger();
        final boolean forks;

        Counting(boolean forks) {
            super(model);
            this.forks = forks;
        }

        @Override
        public float[][] forwardBatch(List<? extends Sequence> sequences, List<int[]> inputs) {
            inputs.forEach(in -> {
                if (in.length > 1) {
                    prefills.incrementAndGet();
                }
            });
            List<Sequence> inner = new ArrayList<>();
            sequences.forEach(s -> inner.add(s instanceof NoFork n ? n.inner : s));
            return super.forwardBatch(inner, inputs);
        }

        @Override
        public Sequence newSequence(int capacity) {
            Sequence s = super.newSequence(capacity);
            return forks ? s : new NoFork(s);
        }
    }

    /** A sequence whose backend cannot copy its cache (the SPI's default). */
    private record NoFork(Sequence inner) implements Sequence {
        public int length() {
            return inner.length();
        }

        public int capacity() {
            return inner.capacity();
        }

        public float[] forward(int[] tokens) {
            return inner.forward(tokens);
        }

        public float[][] forwardAll(int[] tokens) {
            return inner.forwardAll(tokens);
        }

        public void truncate(int length) {
            inner.truncate(length);
        }

        public void close() {
            inner.close();
        }
    }

    private static BatchingEngine.Job job(long seed) {
        GenerationRequest request = new GenerationRequest(PROMPT, 20, SamplingParams.builder().temperature(1).build(),
                List.of(), Set.of(), true, Integer.MAX_VALUE, null, 2);
        Generator.TextStream none = new Generator.TextStream() {
            public String push(int id) {
                return "";
            }

            public String flush() {
                return "";
            }
        };
        return new BatchingEngine.Job(request, none, Generator.Listener.NONE, new SplittableRandom(seed), "a",
                CancellationToken.noDeadline(), depth -> {
        });
    }

    private List<GenerationResult> run(CausalLanguageModel m, List<BatchingEngine.Job> jobs) throws Exception {
        try (BatchingEngine engine = new BatchingEngine(m, BatchingSettings.builder().maxBatch(8).build(),
                System::nanoTime, DAEMONS)) {
            List<GenerationResult> out = new ArrayList<>();
            for (BatchingEngine.Ticket t : engine.submitChoices(jobs)) {
                out.add(t.result().get(60, TimeUnit.SECONDS));
            }
            return out;
        }
    }

    @Test
    void choicesShareOnePrefillAndMatchTheirSingleRuns() throws Exception {
        long[] seeds = {3, 4, 5};
        List<int[]> alone = new ArrayList<>();
        for (long seed : seeds) {
            alone.add(run(model, List.of(job(seed))).get(0).outputIds());
        }
        for (boolean forks : new boolean[]{true, false}) {
            Counting counting = new Counting(forks);
            List<GenerationResult> together = run(counting, List.of(job(3), job(4), job(5)));
            for (int i = 0; i < seeds.length; i++) {
                assertThat(together.get(i).outputIds()).as("choice %d, forks %s", i, forks).containsExactly(alone.get(i));
                assertThat(together.get(i).scores()).hasSize(20);
            }
            assertThat(counting.prefills.get()).as("prompt evaluations, forks %s", forks).isEqualTo(forks ? 1 : 3);
        }
        assertThat(alone.get(0)).isNotEqualTo(alone.get(1)); // the seeds do give different choices
    }

    @Test
    void logprobsAreALogSoftmaxWithTheChosenTokenAndSortedAlternatives() throws Exception {
        GenerationResult r = run(model, List.of(job(9))).get(0);
        int[] ids = r.outputIds();
        for (int i = 0; i < ids.length; i++) {
            TokenScores s = r.scores().get(i);
            assertThat(s.id()).isEqualTo(ids[i]);
            assertThat(s.logprob()).isLessThanOrEqualTo(0);
            assertThat(s.topIds()).hasSize(2);
            assertThat(s.topLogprobs()[0]).isGreaterThanOrEqualTo(s.topLogprobs()[1]).isGreaterThanOrEqualTo(s.logprob());
        }
    }
}
