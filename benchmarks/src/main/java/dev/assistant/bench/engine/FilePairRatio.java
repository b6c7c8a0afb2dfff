package dev.assistant.bench.engine;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Decoding of two model files (e.g. a GGUF Q4_K and a Q4_0 file of the same weights) on the native engine in one
 * process, in alternating rounds (A, B, A, B, ...), as {@link Q4Ratio} does: the ratio is the median over the pairs of
 * B's rate over the A rate just before it. Prints one JSON line per round, each file's weight bytes, and the pairs.
 *
 * <p>Usage: {@code FilePairRatio LABEL_A FILE_A LABEL_B FILE_B THREADS [NEW_TOKENS=128] [PAIRS=3]}.
 */
public final class FilePairRatio {
    private FilePairRatio() {
    }

    public static void main(String[] args) {
        String labelA = args[0];
        String labelB = args[2];
        int threads = Integer.parseInt(args[4]);
        int newTokens = args.length > 5 ? Integer.parseInt(args[5]) : 128;
        int pairs = args.length > 6 ? Integer.parseInt(args[6]) : 3;
        double[] ratios = new double[pairs];
        try (CausalLanguageModel a = load(Path.of(args[1]), threads);
             CausalLanguageModel b = load(Path.of(args[3]), threads)) {
            System.out.printf(Locale.ROOT, "{\"engine\":\"assistant-bytes\",\"%s\":%d,\"%s\":%d}%n", labelA,
                    a.weightBytes(), labelB, b.weightBytes());
            GreedyDecode.run(a, newTokens);
            GreedyDecode.run(b, newTokens);
            for (int p = 0; p < pairs; p++) {
                double base = round(a, labelA, threads, newTokens, p);
                ratios[p] = round(b, labelB, threads, newTokens, p) / base;
            }
        }
        Arrays.sort(ratios);
        System.out.printf(Locale.ROOT, "{\"engine\":\"assistant-pairs\",\"threads\":%d,\"tokens\":%d,\"pairs\":%d,"
                        + "\"b_over_a_median\":%.3f,\"b_over_a_min\":%.3f,\"b_over_a_max\":%.3f}%n",
                threads, newTokens, pairs, DecodeRatio.median(ratios), ratios[0], ratios[pairs - 1]);
    }

    private static CausalLanguageModel load(Path source, int threads) {
        return EngineProviders.discover().load(ModelDirectory.read(source, false),
                LoadOptions.builder().device("cpu").backend("native").weightType(WeightType.F32).threads(threads)
                        .build());
    }

    private static double round(CausalLanguageModel model, String label, int threads, int newTokens, int index) {
        GreedyDecode.Timing timing = GreedyDecode.run(model, newTokens);
        System.out.printf(Locale.ROOT, "{\"engine\":\"assistant\",\"file\":\"%s\",\"threads\":%d,\"tokens\":%d,"
                        + "\"round\":%d,\"ttft_ms\":%.1f,\"decode_tok_s\":%.1f}%n", label, threads, newTokens, index,
                timing.firstTokenMs(), timing.tokensPerSecond());
        return timing.tokensPerSecond();
    }
}
