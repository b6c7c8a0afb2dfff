package dev.assistant.engine.pytorch;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtSymbolBlock;
import dev.assistant.quant.QuantScheme;
import dev.assistant.quant.QuantizedMatrix;
import dev.assistant.quant.Quantizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The TorchScript module behind {@link FbgemmInt8Linear}: {@code int8_linear.pt} ({@link ShippedModule}). It
 * holds no model weights; each layer loads its own copy and packs its weights into it.
 */
final class Int8LinearModule {
    private static volatile Boolean vnni;
    private static volatile Optional<String> unusable;

    private Int8LinearModule() {
    }

    /**
     * Empty when fbgemm layers work here, else why not (the reason is logged once by the caller): the module is
     * loaded, packed with a small matrix and run once, so a libtorch build that cannot read the file or lacks the
     * quantized operators is found at load time, and INT8 falls back to the Java kernel instead of failing.
     */
    static Optional<String> unusableBecause() {
        Optional<String> known = unusable;
        if (known == null) {
            known = probe(ShippedModule.INT8_LINEAR.archive());
            unusable = known;
        }
        return known;
    }

    /** {@link #unusableBecause()} for the module file {@code bytes}. */
    static Optional<String> probe(byte[] bytes) {
        try (NDManager scope = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            QuantizedMatrix identity = new Quantizer(QuantScheme.perChannel()).quantize(new float[]{1, 0, 0, 1}, 2, 2);
            for (boolean residual : new boolean[]{false, true}) {
                PtSymbolBlock module = ShippedModule.INT8_LINEAR.load(scope, bytes);
                FbgemmInt8Linear layer = FbgemmInt8Linear.packInto(module, scope, identity, new float[]{0.5f, 0},
                        reduceRange(), residual, new FbgemmInt8Linear.StagingBuffer());
                float[] y = layer.apply(scope.create(new float[]{2, -3}, new Shape(1, 2))).toFloatArray();
                if (Math.abs(y[0] - 2.5f) > 0.05f || Math.abs(y[1] + 3f) > 0.05f) {
                    return Optional.of("the fbgemm module computed " + Arrays.toString(y) + " for [2.5, -3.0]"
                            + (residual ? " with" : " without") + " the residual row");
                }
            }
            return Optional.empty();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(ShippedModule.firstLine(e));
        }
    }

    /** A fresh module attached to {@code owner}, which closes it (and frees its packed weights). */
    static PtSymbolBlock load(NDManager owner) {
        return ShippedModule.INT8_LINEAR.load(owner);
    }

    /**
     * Whether activations must be quantized to 7 bits rather than 8. fbgemm multiplies uint8 activations by int8
     * weights; without VNNI it sums pairs of products in 16 bits ({@code vpmaddubsw}), which 8-bit activations can
     * saturate (2 x 255 x 127 > 32767), so PyTorch reduces their range there. With VNNI ({@code vpdpbusd}) sums are
     * 32-bit and the full range is exact. Unknown CPUs get the safe choice.
     */
    static boolean reduceRange() {
        Boolean known = vnni;
        if (known == null) {
            known = cpuHasVnni(Path.of("/proc/cpuinfo"));
            vnni = known;
        }
        return !known;
    }

    static boolean cpuHasVnni(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.toLowerCase(Locale.ROOT).startsWith("flags")) {
                    String flags = " " + line.substring(line.indexOf(':') + 1).trim() + " ";
                    return flags.contains(" avx512_vnni ") || flags.contains(" avx_vnni ");
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
