package dev.assistant.bench.engine;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.model.ModelDirectory;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * INT8 against FP32 decoding of the same model, same engine, same run: both loaded in one process and measured in
 * alternating rounds (FP32, INT8, FP32, INT8, ...), each round {@link GreedyDecode} of N new tokens; the ratio is
 * the median over the pairs of INT8's rate over the FP32 rate measured just before it.
 *
 * <p>Why pairs: on a shared machine the memory bandwidth a process gets drifts by tens of percent within minutes.
 * Two processes run one after the other (FP32, then INT8) compare two different machines; adjacent rounds in one
 * process see the same one, and the median of several pairs ignores a round a neighbour disturbed. Both models stay
 * resident (about 5 times the INT8 bytes); one warm-up round of each is not counted.
 *
 * <p>Usage: {@code DecodeRatio (MODEL_DIR | shape:NAME) THREADS [NEW_TOKENS=128] [PAIRS=3]}. Prints a JSON line per
 * round ({@code "engine":"assistant"}, {@code dtype}, {@code decode_tok_s}) and one summary line
 * ({@code "engine":"assistant-pairs"}, {@code int8_over_f32_median}, {@code _min}, {@code _max}).
 */
public final class DecodeRatio {
    private DecodeRatio() {
    }

    public static void main(String[] args) {
        Path dir = GreedyDecode.modelDirectory(args[0]);
        int threads = Integer.parseInt(args[1]);
        int newTokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int pairs = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        double[] ratios = new double[pairs];
        try (CausalLanguageModel f32 = load(dir, WeightType.F32, threads);
             CausalLanguageModel int8 = load(dir, WeightType.INT8, threads)) {
            GreedyDecode.run(f32, newTokens);
            GreedyDecode.run(int8, newTokens);
            for (int p = 0; p < pairs; p++) {
                double exact = round(f32, "f32", threads, newTokens, p);
                double quantized = round(int8, "int8", threads, newTokens, p);
                ratios[p] = quantized / exact;
            }
        }
        Arrays.sort(ratios);
        System.out.printf(Locale.ROOT, "{\"engine\":\"assistant-pairs\",\"threads\":%d,\"tokens\":%d,\"pairs\":%d,"
                        + "\"int8_over_f32_median\":%.3f,\"int8_over_f32_min\":%.3f,\"int8_over_f32_max\":%.3f}%n",
                threads, newTokens, pairs, median(ratios), ratios[0], ratios[pairs - 1]);
    }

    private static CausalLanguageModel load(Path dir, WeightType type, int threads) {
        return EngineProviders.discover().load(ModelDirectory.read(dir, false),
                LoadOptions.builder().device("cpu").weightType(type).threads(threads).build());
    }

    private static double round(CausalLanguageModel model, String dtype, int threads, int newTokens, int index) {
        GreedyDecode.Timing timing = GreedyDecode.run(model, newTokens);
        System.out.printf(Locale.ROOT, "{\"engine\":\"assistant\",\"dtype\":\"%s\",\"threads\":%d,\"tokens\":%d,"
                        + "\"round\":%d,\"ttft_ms\":%.1f,\"decode_tok_s\":%.1f}%n", dtype, threads, newTokens, index,
                timing.firstTokenMs(), timing.tokensPerSecond());
        return timing.tokensPerSecond();
    }

    /** The middle value of sorted values (the mean of the two middle ones for an even count). */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
