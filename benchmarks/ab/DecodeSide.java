package dev.assistant.bench.engine;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.Supplier;

/**
 * One build's side of {@link PairedBuilds}: a model loaded by that build, and on demand one greedy decode of
 * {@code tokens} tokens after {@link GreedyDecode#PROMPT_TOKENS} prompt tokens, as {@code {wall tok/s, CPU tok/s}}:
 * tokens per second of elapsed time, and per second of this thread's CPU time (with one thread the whole step runs
 * on the calling thread, so the CPU rate is the code's own speed, not the share of a busy machine it was given).
 * Compiled against each build's own classes by {@code ab-decode.sh}; the driver sees it only as a {@link Supplier}.
 */
public final class DecodeSide implements Supplier<double[]>, AutoCloseable {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final CausalLanguageModel model;
    private final int tokens;

    /** {@code backend}: the engine to load with ({@code native}, {@code pytorch}, {@code auto}). */
    public DecodeSide(String model, String dtype, int threads, int tokens, String backend) {
        // providers are found through the context class loader: this build's, not the other side's
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(DecodeSide.class.getClassLoader());
        try {
            this.model = EngineProviders.discover().load(ModelDirectory.read(GreedyDecode.modelDirectory(model), false),
                    LoadOptions.builder().device("cpu").weightType(WeightType.parse(dtype)).threads(threads)
                            .backend(backend).build());
        } finally {
            thread.setContextClassLoader(previous);
        }
        this.tokens = tokens;
    }

    @Override
    public double[] get() {
        int[] prompt = GreedyDecode.prompt(model.config().vocabSize(), GreedyDecode.PROMPT_TOKENS);
        try (Sequence s = model.newSequence(prompt.length + tokens)) {
            int token = GreedyDecode.argmax(s.forward(prompt));
            long wall = System.nanoTime();
            long cpu = THREADS.getCurrentThreadCpuTime();
            for (int i = 1; i < tokens; i++) {
                token = GreedyDecode.argmax(s.forward(new int[]{token}));
            }
            double cpuSeconds = (THREADS.getCurrentThreadCpuTime() - cpu) / 1e9;
            double wallSeconds = (System.nanoTime() - wall) / 1e9;
            return new double[]{(tokens - 1) / wallSeconds, (tokens - 1) / cpuSeconds};
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
