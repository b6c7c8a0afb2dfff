package dev.assistant.engine.pytorch;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.LoadOptions;

import java.util.Set;

/**
 * The PyTorch engine's own options, read from {@link LoadOptions#engineOptions()}: for comparing its compute paths.
 *
 * @param fusedLayers {@code pytorch.layers}: {@code fused} (default: one TorchScript call per Llama layer where the
 *                    shipped module runs) or {@code unfused} (separate DJL operations)
 * @param fbgemm      {@code pytorch.int8}: {@code fbgemm} (default: per-channel INT8 on libtorch's fbgemm on the
 *                    CPU) or {@code java} (the Java kernel)
 */
record PyTorchSettings(boolean fusedLayers, boolean fbgemm) {
    static final String LAYERS = "pytorch.layers";
    static final String INT8 = "pytorch.int8";
    static final Set<String> KEYS = Set.of(LAYERS, INT8);

    static PyTorchSettings of(LoadOptions options) {
        return new PyTorchSettings(choice(options, LAYERS, "fused", "unfused"), choice(options, INT8, "fbgemm", "java"));
    }

    /** True for {@code first} (the default), false for {@code second}. */
    private static boolean choice(LoadOptions options, String key, String first, String second) {
        String value = options.engineOption(key, first);
        if (!value.equals(first) && !value.equals(second)) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, key + " must be " + first + " or " + second
                    + ", not " + value);
        }
        return value.equals(first);
    }
}
