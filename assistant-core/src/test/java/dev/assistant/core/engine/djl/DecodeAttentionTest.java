package dev.assistant.core.engine.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Batched decode attention (one native call per step) against the per-sequence DJL path it replaces. */
class DecodeAttentionTest {
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
        assertThat(Attention.probe(ShippedModule.DECODE_ATTENTION.archive())).isEmpty();
        assertThat(Attention.forModel(manager).batchesDecodeSteps()).isTrue();
        assertThat(Attention.probe("not a TorchScript archive".getBytes(StandardCharsets.US_ASCII)))
                .hasValueSatisfying(reason -> assertThat(reason).isNotBlank());
        assertThat(Attention.probe(ShippedModule.INT8_LINEAR.archive())).as("a module with another signature")
                .hasValueSatisfying(reason -> assertThat(reason).isNotBlank());
    }

    @Test
    void aBatchedStepEqualsTheSequencesStepsThroughDjlAndWritesTheSameCaches() {
        try (NDManager scope = manager.newSubManager()) {
            Attention batched = Attention.forModel(scope);
            Attention reference = Attention.perSequence();
            KvCache[] mine = caches(scope);
            KvCache[] theirs = caches(scope);
            for (int layer = 0; layer < LAYERS; layer++) {
                Random random = new Random(100 + layer);
                NDArray q = gaussian(scope, random, PAST.length, HEADS);
                NDArray k = gaussian(scope, random, PAST.length, KV_HEADS);
                NDArray v = gaussian(scope, random, PAST.length, KV_HEADS);
                Segments step = new Segments(mine, PAST, ones(PAST.length));
                float[] actual = batched.ragged(scope, step, layer, q, k, v).toFloatArray();
                float[] expected = reference.ragged(scope, new Segments(theirs, PAST, ones(PAST.length)), layer,
                        q, k, v).toFloatArray();
                assertThat(actual).as("layer %d", layer).hasSize(PAST.length * HEADS * HEAD_DIM)
                        .containsExactly(expected);
                for (int s = 0; s < PAST.length; s++) {
                    assertThat(mine[s].keys(layer).toFloatArray()).as("keys of sequence %d", s)
                            .containsExactly(theirs[s].keys(layer).toFloatArray());
                    assertThat(mine[s].values(layer).toFloatArray()).as("values of sequence %d", s)
                            .containsExactly(theirs[s].values(layer).toFloatArray());
                }
            }
        }
    }

    @Test
    void aSequencesResultDoesNotDependOnItsBatch() {
        try (NDManager scope = manager.newSubManager()) {
            Attention batched = Attention.forModel(scope);
            KvCache[] together = caches(scope);
            Random random = new Random(7);
            NDArray q = gaussian(scope, random, PAST.length, HEADS);
            NDArray k = gaussian(scope, random, PAST.length, KV_HEADS);
            NDArray v = gaussian(scope, random, PAST.length, KV_HEADS);
            float[] all = batched.ragged(scope, new Segments(together, PAST, ones(PAST.length)), 0, q, k, v)
                    .toFloatArray();
            int width = HEADS * HEAD_DIM;
            for (int s = 0; s < PAST.length; s++) {
                KvCache alone = caches(scope)[s];
                float[] own = batched.ragged(scope, new Segments(new KvCache[]{alone}, new int[]{PAST[s]},
                        new int[]{1}), 0, row(q, s), row(k, s), row(v, s)).toFloatArray();
                assertThat(Arrays.copyOfRange(all, s * width, (s + 1) * width)).as("sequence %d", s)
                        .containsExactly(own);
            }
        }
    }

    /** One cache per sequence of {@link #PAST}, each filled with the same seeded prefix (and room for one more). */
    private static KvCache[] caches(NDManager scope) {
        KvCache[] caches = new KvCache[PAST.length];
        for (int s = 0; s < PAST.length; s++) {
            caches[s] = new KvCache(scope, LAYERS, KV_HEADS, PAST[s] + 1 + s, HEAD_DIM);
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
