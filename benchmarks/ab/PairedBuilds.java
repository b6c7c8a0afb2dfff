import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Decode speed of two builds of the SDK in ONE process, in alternating rounds: each build's classes (its
 * benchmarks.jar and the assistant jars its manifest names) in a class loader of their own, with its own copy of the
 * native library; the third-party jars (DJL, libtorch) once, in the parent. A pair of runs a few seconds apart is
 * one ratio B / A, so the drift of a shared machine over minutes does not enter it.
 *
 * <p>Usage: {@code PairedBuilds A_DIR B_DIR MODEL DTYPE THREADS ROUNDS TOKENS}, each DIR holding benchmarks.jar,
 * lib/ and ab-classes/ (DecodeSide compiled against that build).
 */
public final class PairedBuilds {
    public static void main(String[] args) throws Exception {
        String model = args[2];
        String dtype = args[3];
        int threads = Integer.parseInt(args[4]);
        int rounds = Integer.parseInt(args[5]);
        int tokens = Integer.parseInt(args[6]);
        DoubleSupplier a = side(args[0], model, dtype, threads, tokens);
        DoubleSupplier b = side(args[1], model, dtype, threads, tokens);
        a.getAsDouble(); // warm-up: JIT, page faults, scratch
        b.getAsDouble();
        List<Double> ratios = new ArrayList<>();
        double bestA = 0;
        double bestB = 0;
        for (int round = 1; round <= rounds; round++) {
            double ta;
            double tb;
            if (round % 2 == 1) {
                ta = a.getAsDouble();
                tb = b.getAsDouble();
            } else {
                tb = b.getAsDouble();
                ta = a.getAsDouble();
            }
            bestA = Math.max(bestA, ta);
            bestB = Math.max(bestB, tb);
            ratios.add(tb / ta);
            System.out.printf("{\"dtype\":\"%s\",\"threads\":%d,\"round\":%d,\"a_tok_s\":%.2f,\"b_tok_s\":%.2f,"
                    + "\"ratio\":%.4f}%n", dtype, threads, round, ta, tb, tb / ta);
        }
        Double[] sorted = ratios.toArray(new Double[0]);
        Arrays.sort(sorted);
        double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        System.out.printf("%s, %d thread(s): B/A median %.4f over %d pairs (min %.4f, max %.4f); best A %.1f, "
                + "best B %.1f tok/s%n", dtype, threads, median, sorted.length, sorted[0], sorted[sorted.length - 1],
                bestA, bestB);
        ((AutoCloseable) a).close();
        ((AutoCloseable) b).close();
    }

    private static DoubleSupplier side(String dir, String model, String dtype, int threads, int tokens)
            throws Exception {
        URL[] urls = {new File(dir, "ab-classes/").toURI().toURL(), new File(dir, "benchmarks.jar").toURI().toURL()};
        ClassLoader loader = new URLClassLoader(urls, PairedBuilds.class.getClassLoader());
        return (DoubleSupplier) Class.forName("dev.assistant.bench.engine.DecodeSide", true, loader)
                .getConstructor(String.class, String.class, int.class, int.class)
                .newInstance(model, dtype, threads, tokens);
    }
}
