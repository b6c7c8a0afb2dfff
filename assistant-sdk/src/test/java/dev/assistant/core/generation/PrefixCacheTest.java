package dev.assistant.core.generation;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.testing.Gemma2TestModel;
import dev.assistant.core.testing.Gemma3TestModel;
import dev.assistant.core.testing.SharedModels;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prefix cache on real models and both engines (and random-weight Gemma 2 and Gemma 3 models natively, whose
 * sliding window is far shorter than the prompts): greedy answers are token for token those without the cache,
 * shared prefixes are reported as cached, a follow-up that extends an earlier prompt and answer starts from it, and
 * entries are evicted least recently used first within their byte limit.
 */
class PrefixCacheTest {
    private static final ThreadFactory DAEMONS = r -> {
        Thread t = new Thread(r, "prefix-test-engine");
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

    private static CausalLanguageModel load(String model, String backend) throws IOException {
        return load(model, backend, KvCacheType.F32);
    }

    /** Random-weight Gemma models are written here (their sliding window of 4 is far shorter than the prompts). */
    @TempDir
    static Path written;

    private static CausalLanguageModel load(String model, String backend, KvCacheType kvCache) throws IOException {
        Path dir = switch (model) {
            case "gemma2" -> Gemma2TestModel.write(written.resolve(model + "-" + kvCache), 5, 2.0);
            case "gemma3" -> Gemma3TestModel.write(written.resolve(model + "-" + kvCache), 5, 24);
            default -> SharedModels.model(model);
        };
        return EngineProviders.discover().load(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").backend(backend).kvCacheType(kvCache).build());
    }

    private static GenerationResult run(BatchingEngine engine, int maxNewTokens, int[] prompt) throws Exception {
        GenerationRequest request = new GenerationRequest(prompt, maxNewTokens, SamplingParams.GREEDY, List.of(),
                Set.of(), true);
        return engine.submit(new BatchingEngine.Job(request, NO_TEXT, Generator.Listener.NONE, new SplittableRandom(3),
                "t", CancellationToken.noDeadline(), depth -> {
        })).result().get(120, TimeUnit.SECONDS);
    }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Deterministic ids below {@code vocab}, starting with {@code first}. */
    private static int[] tokens(int first, int count, int seed, int vocab) {
        int[] out = new int[count];
        SplittableRandom r = new SplittableRandom(seed);
        out[0] = first;
        for (int i = 1; i < count; i++) {
            out[i] = 3 + r.nextInt(vocab - 3);
        }
        return out;
    }

    @ParameterizedTest(name = "{0} on {1}, {2} KV cache")
    @CsvSource({"stories260K, native, f32", "stories260K, native, int8", "stories260K, pytorch, f32",
            "tinystories-gpt2-mini, pytorch, f32", "gemma2, native, f32", "gemma2, native, int8",
            "gemma3, native, f32", "gemma3, native, int8"})
    void answersAreIdenticalWithTheCacheOnAndOffAndSharedPrefixesAreCounted(String name, String backend,
                                                                            String kvCache) throws Exception {
        try (CausalLanguageModel model = load(name, backend, KvCacheType.parse(kvCache))) {
            int vocab = Math.min(model.config().vocabSize(), 500);
            int[] system = tokens(1, 60, 11, vocab);
            int[] first = concat(system, tokens(5, 7, 12, vocab));
            int[] second = concat(system, tokens(9, 12, 13, vocab));
            List<int[]> prompts = new ArrayList<>(List.of(first, second));
            List<GenerationResult> off = new ArrayList<>();
            List<GenerationResult> on = new ArrayList<>();
            BatchingSettings base = BatchingSettings.builder().maxBatch(2).prefillChunkTokens(16).build();
            try (BatchingEngine cold = new BatchingEngine(model, new BatchingSettings(2, 8, base.memoryBudgetBytes(),
                    16, 0), System::nanoTime, DAEMONS);
                 BatchingEngine warm = new BatchingEngine(model, base, System::nanoTime, DAEMONS)) {
                for (int i = 0; i < 2; i++) {
                    off.add(run(cold, 20, prompts.get(i)));
                    on.add(run(warm, 20, prompts.get(i)));
                }
                // a follow-up: the first prompt, its answer and a new turn
                int[] followUp = concat(first, off.get(0).outputIds(), tokens(7, 9, 14, vocab));
                prompts.add(followUp);
                off.add(run(cold, 20, followUp));
                on.add(run(warm, 20, followUp));
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(on.get(i).outputIds()).as("request %d", i).containsExactly(off.get(i).outputIds());
                assertThat(off.get(i).usage().cachedPromptTokens()).isZero();
            }
            assertThat(on.get(0).usage().cachedPromptTokens()).isZero();
            assertThat(on.get(1).usage().cachedPromptTokens()).as("the shared system prompt")
                    .isEqualTo(system.length);
            // the first request's prompt and answer (all but its last token, which was never evaluated) were cached
            assertThat(on.get(2).usage().cachedPromptTokens()).isGreaterThanOrEqualTo(first.length
                    + off.get(0).outputIds().length - 1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"native", "pytorch"})
    void leastRecentlyUsedEntriesGoFirstAndExtensionsReplaceTheirPrefix(String backend) throws IOException {
        try (CausalLanguageModel model = load("stories260K", backend)) {
            int[] a = tokens(1, 20, 1, 400);
            int[] b = tokens(1, 20, 2, 400);
            int[] c = tokens(1, 20, 3, 400);
            try (PrefixCache cache = new PrefixCache(model, model.kvCacheBytes(70))) {
                offer(model, cache, a);
                offer(model, cache, b);
                // extending a replaces it; offering b's first 18 tokens adds nothing (b holds them)
                int[] aLonger = concat(a, tokens(4, 20, 5, 400));
                offer(model, cache, aLonger);
                offer(model, cache, java.util.Arrays.copyOf(b, 18));
                assertThat(cache.contents()).hasSize(2);
                assertThat(cache.bytes()).isEqualTo(model.kvCacheBytes(20) + model.kvCacheBytes(40));
                // using b makes aLonger the least recently used: c evicts it
                PrefixCache.Hit hit = cache.lookup(concat(b, new int[]{7}), 64).orElseThrow();
                assertThat(hit.tokens()).isEqualTo(20);
                assertThat(hit.sequence().length()).isEqualTo(20);
                assertThat(hit.sequence().capacity()).isEqualTo(64);
                hit.sequence().close();
                offer(model, cache, c);
                assertThat(cache.contents()).extracting(t -> t[1]).containsExactly(b[1], c[1]);
                // a match always leaves the prompt's last token to evaluate; short matches are not used
                try (Sequence again = cache.lookup(b, 64).orElseThrow().sequence()) {
                    assertThat(again.length()).isEqualTo(19);
                }
                assertThat(cache.lookup(java.util.Arrays.copyOf(b, PrefixCache.MIN_MATCH), 64)).isEmpty();
            }
        }
    }

    private static void offer(CausalLanguageModel model, PrefixCache cache, int[] tokens) {
        try (Sequence s = model.newSequence(tokens.length + 8)) {
            s.forward(tokens);
            cache.offer(s, tokens);
        }
    }
}
