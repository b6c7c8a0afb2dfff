package dev.assistant.bench.quant;

import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import dev.assistant.quant.Quantizer;
import java.util.Random;

/** Seeded weights and activations for the INT8 benchmarks. */
final class QuantBenchData {
    /** More than this machine's L3 (36 MiB), so "from memory" runs stream weights from DRAM as a real decode does. */
    static final long STREAM_BYTES = 96L << 20;

    private QuantBenchData() {
    }

    static int[] shape(String nxk) {
        String[] parts = nxk.split("x");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }

    static float[] gaussian(Random r, int count, float sigma) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = (float) (r.nextGaussian() * sigma);
        }
        return a;
    }

    /**
     * Enough independently quantized copies of an N x K matrix to exceed {@link #STREAM_BYTES} when
     * {@code fromMemory}, else one. Copies are distinct arrays, so cycling through them defeats the caches.
     */
    static QuantizedMatrix[] matrices(String nxk, QuantScheme scheme, boolean fromMemory) {
        int[] s = shape(nxk);
        Random r = new Random(42);
        QuantizedMatrix first = new Quantizer(scheme).quantize(gaussian(r, s[0] * s[1], 0.02f), s[0], s[1]);
        int copies = fromMemory ? (int) Math.max(1, (STREAM_BYTES + first.sizeInBytes() - 1) / first.sizeInBytes()) : 1;
        QuantizedMatrix[] all = new QuantizedMatrix[copies];
        all[0] = first;
        for (int c = 1; c < copies; c++) {
            // Same values, fresh arrays: only the memory placement matters for a bandwidth measurement.
            all[c] = QuantizedMatrix.of(first.rows(), first.cols(), scheme, first.values(), first.scales());
        }
        return all;
    }
}
