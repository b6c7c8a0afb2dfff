package dev.assistant.bench.engine;

import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.Sequence;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.model.ModelDirectory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prefill speed of a long prompt (one forward pass over all its tokens, as a request's first step evaluates it) on
 * the native engine with FP32 and INT8 weights against the libtorch path (the pytorch engine, FP32), all three
 * loaded in one process and measured in rounds that visit each in turn; the ratios are medians over the rounds of a
 * native rate over the libtorch rate measured in the same round (see {@link DecodeRatio} for why pairs).
 *
 * <p>Usage: {@code PrefillRatio (MODEL_DIR | shape:NAME) THREADS [PROMPT_TOKENS=512] [ROUNDS=5] [KV_CACHE=f32]}.
 * Prints a JSON line per measurement ({@code "side"}: {@code native-f32}, {@code native-int8},
 * {@code libtorch-f32}; {@code prefill_tok_s} by wall time, {@code prefill_cpu_tok_s} by the calling thread's CPU
 * time) and one summary line ({@code "engine":"prefill-rounds"}: each side's median rates, and
 * {@code native_f32_over_libtorch_median}/{@code _min}/{@code _max}, likewise for INT8 and for FP32 by CPU time).
 */
public final class PrefillRatio {
    private PrefillRatio() {
    }

    public static void main(String[] args) {
        Path dir = GreedyDecode.modelDirectory(args[0]);
        int threads = Integer.parseInt(args[1]);
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        KvCacheType kvCache = args.length > 4 ? KvCacheType.parse(args[4]) : KvCacheType.F32;
        Map<String, CausalLanguageModel> sides = new LinkedHashMap<>();
        try {
            sides.put("libtorch-f32", load(dir, "pytorch", WeightType.F32, threads, KvCacheType.F32));
            sides.put("native-f32", load(dir, "native", WeightType.F32, threads, kvCache));
            sides.put("native-int8", load(dir, "native", WeightType.INT8, threads, kvCache));
            int[] prompt = GreedyDecode.prompt(sides.get("native-f32").config().vocabSize(), tokens);
            for (CausalLanguageModel model : sides.values()) {
                prefill(model, prompt); // warm-up: page faults, libtorch's first-call costs
            }
            List<String> names = new ArrayList<>(sides.keySet());
            Map<String, double[]> rates = new LinkedHashMap<>();
            Map<String, double[]> cpuRates = new LinkedHashMap<>();
            names.forEach(n -> rates.put(n, new double[rounds]));
            names.forEach(n -> cpuRates.put(n, new double[rounds]));
            double[] f32Ratio = new double[rounds];
            double[] int8Ratio = new double[rounds];
            double[] f32CpuRatio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                // rotate the order so no side is always first after the previous round's last
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get((i + r) % names.size());
                    double[] rate = prefill(sides.get(name), prompt);
                    rates.get(name)[r] = rate[0];
                    cpuRates.get(name)[r] = rate[1];
                    System.out.printf(Locale.ROOT, "{\"side\":\"%s\",\"threads\":%d,\"prompt\":%d,\"round\":%d,"
                            + "\"kv_cache\":\"%s\",\"prefill_tok_s\":%.1f,\"prefill_cpu_tok_s\":%.1f}%n", name,
                            threads, tokens, r, name.startsWith("native") ? kvCache : KvCacheType.F32, rate[0],
                            rate[1]);
                }
                f32Ratio[r] = rates.get("native-f32")[r] / rates.get("libtorch-f32")[r];
                f32CpuRatio[r] = cpuRates.get("native-f32")[r] / cpuRates.get("libtorch-f32")[r];
                int8Ratio[r] = rates.get("native-int8")[r] / rates.get("libtorch-f32")[r];
            }
            StringBuilder summary = new StringBuilder();
            summary.append(String.format(Locale.ROOT, "{\"engine\":\"prefill-rounds\",\"threads\":%d,\"prompt\":%d,"
                    + "\"rounds\":%d,\"kv_cache\":\"%s\"", threads, tokens, rounds, kvCache));
            rates.forEach((name, values) -> summary.append(String.format(Locale.ROOT, ",\"%s_median_tok_s\":%.1f",
                    name.replace('-', '_'), median(values))));
            cpuRates.forEach((name, values) -> summary.append(String.format(Locale.ROOT,
                    ",\"%s_median_cpu_tok_s\":%.1f", name.replace('-', '_'), median(values))));
            appendRatio(summary, "native_f32_over_libtorch", f32Ratio);
            appendRatio(summary, "native_f32_over_libtorch_cpu", f32CpuRatio);
            appendRatio(summary, "native_int8_over_libtorch", int8Ratio);
            System.out.println(summary.append('}'));
        } finally {
            sides.values().forEach(CausalLanguageModel::close);
        }
    }

    private static CausalLanguageModel load(Path dir, String backend, WeightType type, int threads,
                                            KvCacheType kvCache) {
        return EngineProviders.discover().load(ModelDirectory.read(dir, false), LoadOptions.builder().device("cpu")
                .backend(backend).weightType(type).threads(threads).kvCacheType(kvCache).build());
    }

    /**
     * Tokens per second of one forward pass over the whole prompt in a fresh sequence: {@code {by wall time, by this
     * thread's CPU time}}. With one thread each engine computes on the calling thread, so the CPU rate is the code's
     * own speed rather than the share of a busy machine it was given; with more it counts only the caller's share.
     */
    static double[] prefill(CausalLanguageModel model, int[] prompt) {
        try (Sequence s = model.newSequence(prompt.length)) {
            long start = System.nanoTime();
            long cpu = CPU.getCurrentThreadCpuTime();
            s.forward(prompt);
            long cpuNanos = CPU.getCurrentThreadCpuTime() - cpu;
            return new double[]{prompt.length * 1e9 / (System.nanoTime() - start), prompt.length * 1e9 / cpuNanos};
        }
    }

    private static final java.lang.management.ThreadMXBean CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();

    private static void appendRatio(StringBuilder out, String name, double[] ratios) {
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        out.append(String.format(Locale.ROOT, ",\"%s_median\":%.3f,\"%s_min\":%.3f,\"%s_max\":%.3f", name,
                DecodeRatio.median(sorted), name, sorted[0], name, sorted[sorted.length - 1]));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return DecodeRatio.median(sorted);
    }
}
