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
 * 4-bit against INT8 decoding in one process, in alternating rounds (INT8, Q4, INT8, Q4, ...), as {@link DecodeRatio}
 * does for INT8 against FP32: the ratio is the median over the pairs of Q4's rate over the INT8 rate just before it.
 * The Q4 model is a GGUF Q4_0 file when one is given (the file llama.cpp runs in the same benchmark, taken as stored),
 * else the directory with dtype q4. Also prints each model's weight bytes and FP32's (loaded once, then closed).
 *
 * <p>Usage: {@code Q4Ratio (MODEL_DIR | shape:NAME) Q4_SOURCE|- THREADS [NEW_TOKENS=128] [PAIRS=3]}.
 */
public final class Q4Ratio {
    private Q4Ratio() {
    }

    public static void main(String[] args) {
        Path dir = GreedyDecode.modelDirectory(args[0]);
        Path q4Source = args[1].equals("-") ? dir : Path.of(args[1]);
        int threads = Integer.parseInt(args[2]);
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int pairs = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        long f32Bytes;
        try (CausalLanguageModel f32 = load(dir, WeightType.F32, threads)) {
            f32Bytes = f32.weightBytes();
        }
        double[] ratios = new double[pairs];
        try (CausalLanguageModel int8 = load(dir, WeightType.INT8, threads);
             CausalLanguageModel q4 = load(q4Source, WeightType.Q4, threads)) {
            System.out.printf(Locale.ROOT, "{\"engine\":\"assistant-bytes\",\"f32\":%d,\"int8\":%d,\"q4\":%d,"
                            + "\"q4_percent_of_f32\":%.2f,\"int8_percent_of_f32\":%.2f}%n", f32Bytes,
                    int8.weightBytes(), q4.weightBytes(), 100.0 * q4.weightBytes() / f32Bytes,
                    100.0 * int8.weightBytes() / f32Bytes);
            GreedyDecode.run(int8, newTokens);
            GreedyDecode.run(q4, newTokens);
            for (int p = 0; p < pairs; p++) {
                double base = round(int8, "int8", threads, newTokens, p);
                double four = round(q4, "q4", threads, newTokens, p);
                ratios[p] = four / base;
            }
        }
        Arrays.sort(ratios);
        System.out.printf(Locale.ROOT, "{\"engine\":\"assistant-pairs\",\"threads\":%d,\"tokens\":%d,\"pairs\":%d,"
                        + "\"q4_over_int8_median\":%.3f,\"q4_over_int8_min\":%.3f,\"q4_over_int8_max\":%.3f}%n",
                threads, newTokens, pairs, DecodeRatio.median(ratios), ratios[0], ratios[pairs - 1]);
    }

    private static CausalLanguageModel load(Path source, WeightType type, int threads) {
        return EngineProviders.discover().load(ModelDirectory.read(source, false),
                LoadOptions.builder().device("cpu").backend("native").weightType(type).threads(threads).build());
    }

    private static double round(CausalLanguageModel model, String dtype, int threads, int newTokens, int index) {
        GreedyDecode.Timing timing = GreedyDecode.run(model, newTokens);
        System.out.printf(Locale.ROOT, "{\"engine\":\"assistant\",\"dtype\":\"%s\",\"threads\":%d,\"tokens\":%d,"
                        + "\"round\":%d,\"ttft_ms\":%.1f,\"decode_tok_s\":%.1f}%n", dtype, threads, newTokens, index,
                timing.firstTokenMs(), timing.tokensPerSecond());
        return timing.tokensPerSecond();
    }
}
