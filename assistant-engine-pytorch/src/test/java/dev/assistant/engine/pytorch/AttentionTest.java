package dev.assistant.engine.pytorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Batched ragged attention (one native call per layer) against the per-sequence DJL path it replaces. */
class AttentionTest {
    private static final int LAYERS = 2;
    private static final int HEADS = 9;
    private static final int KV_HEADS = 3;
    private static final int HEAD_DIM = 64;
    private static final int[] PAST = {0, 1, 7, 30, 64};
    private static NDManager manager;

    @BeforeAll
    static void start() {
        DjlRuntime.engine();
        manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void theShippedModuleRunsHereAndABrokenOneIsReportedNotThrown() {
        assertThat(Attention.probe(ShippedModule.RAGGED_ATTENTION.archive())).isEmpty();
        assertThat(Attention.forModel(manager).isBatched()).isTrue();
        assertThat(Attention.probe("not a TorchScript archive".getBytes(StandardCharsets.US_ASCII)))
                .hasValueSatisfying(reason -> assertThat(reason).isNotBlank());
        assertThat(Attention.probe(ShippedModule.INT8_LINEAR.archive())).as("a module with another signature")
                .hasValueSatisfying(reason -> assertThat(reason).isNotBlank());
    }

    /** A decode step of every sequence, and a mixed step where some read several rows (prompts, chunks). */
    @ParameterizedTest
    @ValueSource(strings = {"1,1,1,1,1", "1,4,1,3,2"})
    void aBatchedPassEqualsTheSequencesPassesThroughDjlAndWritesTheSameCaches(String rows) {
        int[] lengths = Arrays.stream(rows.split(",")).mapToInt(Integer::parseInt).toArray();
        int total = Arrays.stream(lengths).sum();
        try (NDManager scope = manager.newSubManager()) {
            Attention batched = Attention.forModel(scope);
            Attention reference = Attention.perSequence();
            KvCache[] mine = caches(scope, lengths);
            KvCache[] theirs = caches(scope, lengths);
            for (int layer = 0; layer < LAYERS; layer++) {
                Random random = new Random(100 + layer);
                NDArray q = gaussian(scope, random, total, HEADS);
                NDArray k = gaussian(scope, random, total, KV_HEADS);
                NDArray v = gaussian(scope, random, total, KV_HEADS);
                float[] actual = batched.ragged(scope, new Segments(mine, PAST, lengths), layer, q, k, v)
                        .toFloatArray();
                float[] expected = reference.ragged(scope, new Segments(theirs, PAST, lengths), layer, q, k, v)
                        .toFloatArray();
                assertThat(actual).as("layer %d", layer).hasSize(total * HEADS * HEAD_DIM).containsExactly(expected);
                for (int s = 0; s < PAST.length; s++) {
                    assertThat(mine[s].keys(layer).toFloatArray()).as("keys of sequence %d", s)
                            .containsExactly(theirs[s].keys(layer).toFloatArray());
                    assertThat(mine[s].values(layer).toFloatArray()).as("values of sequence %d", s)
                            .containsExactly(theirs[s].values(layer).toFloatArray());
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,4,1,3,2", "1,1,1,1,1"})
    void rotaryAttentionOfTheFusedProjectionEqualsRopeThroughDjlThenAttention(String segmentLengths) {
        int[] lengths = Arrays.stream(segmentLengths.split(",")).mapToInt(Integer::parseInt).toArray();
        int total = Arrays.stream(lengths).sum();
        float[] inverseFrequencies = new float[HEAD_DIM / 2];
        for (int j = 0; j < inverseFrequencies.length; j++) {
            inverseFrequencies[j] = (float) (1.0 / Math.pow(10000, 2.0 * j / HEAD_DIM));
        }
        try (NDManager scope = manager.newSubManager()) {
            Attention batched = Attention.forModel(scope);
            RotaryEmbedding rope = new RotaryEmbedding(scope, HEAD_DIM, inverseFrequencies);
            KvCache[] mine = caches(scope, lengths);
            KvCache[] theirs = caches(scope, lengths);
            Segments segments = new Segments(mine, PAST, lengths);
            NDArray qkv = gaussian(scope, new Random(5), total, HEADS + 2 * KV_HEADS).reshape(total, -1);
            NDArray[] stacked = rope.stackedFactors(scope, segments.positions(), HEADS, KV_HEADS);
            float[] actual = batched.rotary(scope, segments, 0, qkv, HEADS, stacked).toFloatArray();

            RotaryEmbedding.Factors factors = rope.factors(scope, segments.positions());

            NDList parts = qkv.split(new long[]{HEADS * HEAD_DIM, (HEADS + KV_HEADS) * HEAD_DIM}, 1);
            NDArray q = rope.apply(parts.get(0).reshape(total, HEADS, HEAD_DIM), factors.queryCos(),
                    factors.querySin());
            NDArray k = rope.apply(parts.get(1).reshape(total, KV_HEADS, HEAD_DIM), factors.keyCos(),
                    factors.keySin());
            NDArray v = parts.get(2).reshape(total, KV_HEADS, HEAD_DIM);
            float[] expected = Attention.perSequence().ragged(scope, new Segments(theirs, PAST, lengths), 0, q, k, v)
                    .toFloatArray();
            assertThat(actual).containsExactly(expected);
            for (int s = 0; s < PAST.length; s++) {
                assertThat(mine[s].keys(0).toFloatArray()).as("roped keys of sequence %d", s)
                        .containsExactly(theirs[s].keys(0).toFloatArray());
            }
        }
    }

    @Test
    void aPromptAttendsCausally() {
        // a later row must not change an earlier row's result: attend to 3 rows, then to the first 2 of them only
        try (NDManager scope = manager.newSubManager()) {
            Attention batched = Attention.forModel(scope);
            Random random = new Random(3);
            NDArray q = gaussian(scope, random, 3, HEADS);
            NDArray k = gaussian(scope, random, 3, KV_HEADS);
            NDArray v = gaussian(scope, random, 3, KV_HEADS);
            KvCache three = new KvCache(scope, 1, KV_HEADS, 3, HEAD_DIM);
            KvCache two = new KvCache(scope, 1, KV_HEADS, 3, HEAD_DIM);
            float[] all = batched.ragged(scope, new Segments(new KvCache[]{three}, new int[]{0}, new int[]{3}), 0,
                    q, k, v).toFloatArray();
            float[] firstTwo = batched.ragged(scope, new Segments(new KvCache[]{two}, new int[]{0}, new int[]{2}), 0,
                    q.get("0:2"), k.get("0:2"), v.get("0:2")).toFloatArray();
            assertThat(Arrays.copyOf(all, firstTwo.length)).containsExactly(firstTwo);
            // and the first row sees only itself: its output is its own value, repeated for each query head's group
            float[] value = v.get(0).toFloatArray();
            for (int h = 0; h < HEADS; h++) {
                int kvHead = h / (HEADS / KV_HEADS);
                assertThat(Arrays.copyOfRange(all, h * HEAD_DIM, (h + 1) * HEAD_DIM)).as("head %d", h)
                        .containsExactly(Arrays.copyOfRange(value, kvHead * HEAD_DIM, (kvHead + 1) * HEAD_DIM));
            }
        }
    }

    @Test
    void aSequencesResultDoesNotDependOnItsBatch() {
        try (NDManager scope = manager.newSubManager()) {
            Attention batched = Attention.forModel(scope);
            KvCache[] together = caches(scope, ones(PAST.length));
            Random random = new Random(7);
            NDArray q = gaussian(scope, random, PAST.length, HEADS);
            NDArray k = gaussian(scope, random, PAST.length, KV_HEADS);
            NDArray v = gaussian(scope, random, PAST.length, KV_HEADS);
            float[] all = batched.ragged(scope, new Segments(together, PAST, ones(PAST.length)), 0, q, k, v)
                    .toFloatArray();
            int width = HEADS * HEAD_DIM;
            for (int s = 0; s < PAST.length; s++) {
                KvCache alone = caches(scope, ones(PAST.length))[s];
                float[] own = batched.ragged(scope, new Segments(new KvCache[]{alone}, new int[]{PAST[s]},
                        new int[]{1}), 0, row(q, s), row(k, s), row(v, s)).toFloatArray();
                assertThat(Arrays.copyOfRange(all, s * width, (s + 1) * width)).as("sequence %d", s)
                        .containsExactly(own);
            }
        }
    }

    /** One cache per sequence of {@link #PAST}, each filled with the same seeded prefix, with room for more rows. */
    private static KvCache[] caches(NDManager scope, int[] lengths) {
        KvCache[] caches = new KvCache[PAST.length];
        for (int s = 0; s < PAST.length; s++) {
            caches[s] = new KvCache(scope, LAYERS, KV_HEADS, PAST[s] + lengths[s] + s, HEAD_DIM);
            if (PAST[s] == 0) {
                continue;
            }
            Random random = new Random(s);
            for (int layer = 0; layer < LAYERS; layer++) {
                NDArray k = gaussian(scope, random, PAST[s], KV_HEADS);
                NDArray v = gaussian(scope, random, PAST[s], KV_HEADS);
                caches[s].append(scope, layer, 0, k.transpose(1, 2, 0), v.transpose(1, 0, 2));
            }
        }
        return caches;
    }

    private static NDArray gaussian(NDManager scope, Random random, int rows, int heads) {
        float[] a = new float[rows * heads * HEAD_DIM];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return scope.create(a, new Shape(rows, heads, HEAD_DIM));
    }

    private static NDArray row(NDArray x, int r) {
        return x.get(r).expandDims(0);
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        Arrays.fill(a, 1);
        return a;
    }
}
