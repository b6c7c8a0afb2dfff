package dev.assistant.bench.engine;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.generation.Sampler;
import dev.assistant.core.generation.SamplingParams;
import dev.assistant.core.model.ModelDirectory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Where a batched decode step's time goes, by rows: the forward pass of R rows (one new token for each of R
 * sequences) and, separately, choosing the R next tokens from the logits at temperature 1 (what an OpenAI client gets
 * by default) and greedily. Row counts alternate within each round so they share the machine's minutes; the figures
 * are medians of the rounds' per-step averages. {@code forward_cpu_ms} is the calling thread's CPU time in the
 * forward pass: with one native thread all of its work, and far less disturbed by other processes than wall time.
 * {@code forward_alloc_kb} is what the calling thread allocated on the heap per step: with {@code logits=reused} (the
 * batching engine's way) the step writes into the same arrays every time ({@code forwardBatchInto}), with
 * {@code logits=new} it gets new ones ({@code forwardBatch}). Profile the native split (weight products vs attention
 * vs the output head) by running this under a sampling profiler with one row count.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.assistant.bench.engine.BatchStepProfile [shape:smollm-135m-shape] [int8] [threads=2] [rows="1 4 8"]
 * [steps=32] [rounds=5] [logits=reused|new]}.
 */
public final class BatchStepProfile {
    private BatchStepProfile() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = GreedyDecode.modelDirectory(args.length > 0 ? args[0] : "shape:smollm-135m-shape");
        String dtype = args.length > 1 ? args[1] : "int8";
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int[] rowCounts = Arrays.stream((args.length > 3 ? args[3] : "1 4 8").trim().split("\\s+"))
                .mapToInt(Integer::parseInt).toArray();
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 32;
        int rounds = args.length > 5 ? Integer.parseInt(args[5]) : 5;
        boolean reuse = !(args.length > 6 && args[6].equals("logits=new"));
        try (CausalLanguageModel model = EngineProviders.discover().load(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").weightType(WeightType.parse(dtype)).threads(threads).build())) {
            int vocab = model.config().vocabSize();
            Sampler.warmUp(Duration.ofSeconds(10)); // as the batching engine does before its first step
            double[][] forward = new double[rowCounts.length][rounds];
            double[][] sampled = new double[rowCounts.length][rounds];
            double[][] greedy = new double[rowCounts.length][rounds];
            double[][] cpu = new double[rowCounts.length][rounds];
            double[][] allocated = new double[rowCounts.length][rounds];
            for (int round = -1; round < rounds; round++) { // round -1 warms up
                for (int k = 0; k < rowCounts.length; k++) {
                    double[] t = steps(model, rowCounts[k], steps, vocab, reuse);
                    if (round >= 0) {
                        forward[k][round] = t[0];
                        sampled[k][round] = t[1];
                        greedy[k][round] = t[2];
                        cpu[k][round] = t[3];
                        allocated[k][round] = t[4];
                    }
                }
            }
            for (int k = 0; k < rowCounts.length; k++) {
                int rows = rowCounts[k];
                double f = median(forward[k]);
                double s = median(sampled[k]);
                double g = median(greedy[k]);
                System.out.printf(Locale.ROOT, "{\"dtype\":\"%s\",\"threads\":%d,\"rows\":%d,\"forward_ms\":%.2f,"
                                + "\"forward_cpu_ms\":%.2f,\"forward_alloc_kb\":%.1f,\"logits\":\"%s\","
                                + "\"sample_t1_ms\":%.2f,\"greedy_ms\":%.3f,\"tok_s_forward_only\":%.1f,"
                                + "\"tok_s_with_t1_sampling\":%.1f}%n", dtype, threads, rows, f, median(cpu[k]),
                        median(allocated[k]) / 1024, reuse ? "reused" : "new", s, g,
                        rows * 1000 / f, rows * 1000 / (f + s));
            }
        }
    }

    /**
     * Means per step of: the forward pass (ms), sampling every row at temperature 1 (ms), greedy choice of every row
     * (ms), the forward pass's CPU time (ms) and its heap allocation (bytes).
     */
    private static double[] steps(CausalLanguageModel model, int rows, int steps, int vocab, boolean reuse) {
        List<Sequence> sequences = new ArrayList<>();
        List<Sampler> samplers = new ArrayList<>();
        SamplingParams t1 = SamplingParams.builder().temperature(1).build();
        int[] prompt = GreedyDecode.prompt(vocab, 16);
        try {
            for (int r = 0; r < rows; r++) {
                Sequence s = model.newSequence(prompt.length + steps + 1);
                sequences.add(s);
                s.forward(prompt);
                samplers.add(new Sampler(t1, new SplittableRandom(r)));
            }
            int[] next = new int[rows];
            Arrays.fill(next, prompt[prompt.length - 1]);
            long forwardNanos = 0;
            long sampleNanos = 0;
            long greedyNanos = 0;
            long cpuNanos = 0;
            long allocatedBytes = 0;
            com.sun.management.ThreadMXBean threadsBean =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            int[] none = new int[0];
            float[][] logits = new float[rows][model.config().vocabSize()]; // reused, as the batching engine does
            for (int step = 0; step < steps; step++) {
                List<int[]> inputs = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    inputs.add(new int[]{next[r]});
                }
                long cpuBefore = threadsBean.getCurrentThreadCpuTime();
                long allocatedBefore = threadsBean.getCurrentThreadAllocatedBytes();
                long a = System.nanoTime();
                if (reuse) {
                    model.forwardBatchInto(sequences, inputs, logits);
                } else {
                    logits = model.forwardBatch(sequences, inputs);
                }
                long b = System.nanoTime();
                cpuNanos += threadsBean.getCurrentThreadCpuTime() - cpuBefore;
                allocatedBytes += threadsBean.getCurrentThreadAllocatedBytes() - allocatedBefore;
                for (int r = 0; r < rows; r++) {
                    next[r] = samplers.get(r).next(logits[r], none, 0);
                }
                long c = System.nanoTime();
                for (int r = 0; r < rows; r++) {
                    next[r] = argmax(logits[r]) % vocab; // the greedy path's cost; the token itself is then used
                }
                long d = System.nanoTime();
                forwardNanos += b - a;
                sampleNanos += c - b;
                greedyNanos += d - c;
            }
            return new double[]{forwardNanos / 1e6 / steps, sampleNanos / 1e6 / steps, greedyNanos / 1e6 / steps,
                    cpuNanos / 1e6 / steps, (double) allocatedBytes / steps};
        } finally {
            sequences.forEach(Sequence::close);
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
