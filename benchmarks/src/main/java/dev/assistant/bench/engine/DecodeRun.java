package dev.assistant.bench.engine;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.model.ModelDirectory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One side-by-side measurement in the same terms as {@code shared/bench/llamacpp/run.sh}: greedy decoding of N new
 * tokens after a 32-token prompt, best of R runs, printed as one JSON line per run. Also prints prefill speed on a
 * 512-token prompt, load time, weight memory and process RSS.
 *
 * <p>Usage: {@code DecodeRun (MODEL_DIR | shape:NAME) DTYPE THREADS [NEW_TOKENS=128] [REPEATS=3]}
 */
public final class DecodeRun {
    private DecodeRun() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = GreedyDecode.modelDirectory(args[0]);
        String dtype = args[1];
        int threads = Integer.parseInt(args[2]);
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int repeats = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        long rssBefore = rssBytes();
        long t0 = System.nanoTime();
        try (CausalLanguageModel model = EngineProviders.discover().load(ModelDirectory.read(dir, false), LoadOptions.builder()
                .device("cpu").weightType(WeightType.parse(dtype)).threads(threads).build())) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            int[] prompt = GreedyDecode.prompt(model.config().vocabSize(), 512);
            for (int r = 0; r < repeats; r++) {
                GreedyDecode.Timing timing = GreedyDecode.run(model, newTokens);
                double prefill = prefill(model, prompt);
                System.out.printf("{\"engine\":\"assistant\",\"dtype\":\"%s\",\"threads\":%d,\"tokens\":%d,"
                                + "\"ttft_ms\":%.1f,\"decode_tok_s\":%.1f,\"prefill512_tok_s\":%.1f,\"load_ms\":%.0f,"
                                + "\"weight_mb\":%.1f,\"rss_mb\":%.1f}%n", dtype, threads, newTokens,
                        timing.firstTokenMs(), timing.tokensPerSecond(), prefill, loadMs, model.weightBytes() / 1e6,
                        (rssBytes() - rssBefore) / 1e6);
            }
        }
    }

    private static double prefill(CausalLanguageModel model, int[] prompt) {
        try (Sequence s = model.newSequence(prompt.length)) {
            long start = System.nanoTime();
            s.forward(prompt);
            return prompt.length * 1e9 / (System.nanoTime() - start);
        }
    }

    /** Resident set size of this process (Linux), or -1. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
