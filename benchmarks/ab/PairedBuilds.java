import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Decode speed of two builds of the SDK in ONE process, in alternating rounds: each build's classes (its
 * benchmarks.jar and the assistant jars its manifest names) in a class loader of their own, with its own copy of the
 * native library; the third-party jars (DJL, libtorch) once, in the parent. A pair of runs a few seconds apart gives
 * one ratio B / A, so the drift of a shared machine over minutes does not enter it. Each run reports tok/s by wall
 * time and by the decoding thread's CPU time (see DecodeSide); on an oversubscribed machine the CPU figure is the
 * steadier one.
 *
 * <p>Which build loads first also shows in its speed (where its weights land in memory: a few percent either way,
 * seen with the same build on both sides), so {@code ab-decode.sh} runs several processes, alternating the order.
 *
 * <p>Usage: {@code PairedBuilds A_DIR B_DIR MODEL DTYPE THREADS ROUNDS TOKENS [ab|ba] [BACKEND=native]}, each DIR
 * holding benchmarks.jar, lib/ and ab-classes/ (DecodeSide compiled against that build); {@code ba} loads B first.
 * Ratios are always B / A.
 */
public final class PairedBuilds {
    public static void main(String[] args) throws Exception {
        String model = args[2];
        String dtype = args[3];
        int threads = Integer.parseInt(args[4]);
        int rounds = Integer.parseInt(args[5]);
        int tokens = Integer.parseInt(args[6]);
        boolean bFirst = args.length > 7 && args[7].equals("ba");
        String backend = args.length > 8 ? args[8] : "native";
        Supplier<double[]> first = side(args[bFirst ? 1 : 0], model, dtype, threads, tokens, backend);
        Supplier<double[]> second = side(args[bFirst ? 0 : 1], model, dtype, threads, tokens, backend);
        Supplier<double[]> a = bFirst ? second : first;
        Supplier<double[]> b = bFirst ? first : second;
        a.get(); // warm-up: JIT, page faults, scratch
        b.get();
        double[] wall = new double[rounds];
        double[] cpu = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            double[] ra;
            double[] rb;
            if (round % 2 == 0) {
                ra = a.get();
                rb = b.get();
            } else {
                rb = b.get();
                ra = a.get();
            }
            wall[round] = rb[0] / ra[0];
            cpu[round] = rb[1] / ra[1];
            System.out.printf("{\"order\":\"%s\",\"dtype\":\"%s\",\"threads\":%d,\"round\":%d,\"a_wall_tok_s\":%.2f,\"b_wall_tok_s\":%.2f,"
                    + "\"a_cpu_tok_s\":%.2f,\"b_cpu_tok_s\":%.2f,\"wall_ratio\":%.4f,\"cpu_ratio\":%.4f}%n", bFirst ? "ba" : "ab", dtype,
                    threads, round + 1, ra[0], rb[0], ra[1], rb[1], wall[round], cpu[round]);
        }
        System.out.printf("%s, %d thread(s), %d pairs, %s loaded first: B/A by wall time %s; by CPU time %s%n", dtype,
                threads, rounds, bFirst ? "B" : "A", summary(wall), summary(cpu));
        ((AutoCloseable) a).close();
        ((AutoCloseable) b).close();
    }

    /** "median M (min, max; middle half Q1-Q3)" of the ratios. */
    private static String summary(double[] ratios) {
        double[] s = ratios.clone();
        Arrays.sort(s);
        return String.format("median %.4f (min %.4f, max %.4f; middle half %.4f-%.4f)", quantile(s, 0.5), s[0],
                s[s.length - 1], quantile(s, 0.25), quantile(s, 0.75));
    }

    private static double quantile(double[] sorted, double q) {
        double at = q * (sorted.length - 1);
        int low = (int) Math.floor(at);
        int high = (int) Math.ceil(at);
        return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
    }

    @SuppressWarnings("unchecked")
    private static Supplier<double[]> side(String dir, String model, String dtype, int threads, int tokens,
                                           String backend) throws Exception {
        URL[] urls = {new File(dir, "ab-classes/").toURI().toURL(), new File(dir, "benchmarks.jar").toURI().toURL()};
        ClassLoader loader = new URLClassLoader(urls, PairedBuilds.class.getClassLoader());
        return (Supplier<double[]>) Class.forName("dev.assistant.bench.engine.DecodeSide", true, loader)
                .getConstructor(String.class, String.class, int.class, int.class, String.class)
                .newInstance(model, dtype, threads, tokens, backend);
    }
}
