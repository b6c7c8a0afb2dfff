package dev.assistant.engine.cpu;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * How the native engine's INT8 weight products (AVX-512 VNNI kernels) quantize each row of activations; engine option
 * {@value NativeEngineProvider#ACTIVATIONS_OPTION}. Either way a row's outputs depend on that row alone, so a sequence
 * decodes the same tokens whatever shares its batch. Kernels without VNNI multiply the INT8 weights with float
 * activations and ignore the setting.
 */
public enum ActivationPrecision {
    /**
     * 8 bits per value, one scale per row (dynamic W8A8, as llama.cpp's Q8_0 products): one VNNI product per 64
     * weights, so INT8 decoding streams the weights at nearer the memory's speed and a batch of rows takes about half
     * the time. The default.
     */
    INT8(1),
    /** 16 bits per value, one scale per row: two VNNI products per 64 weights, close to float precision. */
    INT16(0);

    private final int nativeCode;

    ActivationPrecision(int nativeCode) {
        this.nativeCode = nativeCode;
    }

    /** Its code in {@code llama_model.h}'s {@code LlamaActivations}. */
    int nativeCode() {
        return nativeCode;
    }

    /** The option's value, {@code int8} or {@code int16}. */
    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The precision an option value names, if it names one. */
    public static Optional<ActivationPrecision> of(String value) {
        return Arrays.stream(values()).filter(p -> p.optionValue().equals(value)).findFirst();
    }

    /** Parses an option value; anything else is {@link ErrorCode#INVALID_REQUEST}. */
    public static ActivationPrecision parse(String value) {
        return of(value).orElseThrow(() -> new AssistantException(ErrorCode.INVALID_REQUEST, problem(value)));
    }

    /** Why {@code value} is not an option value. */
    static String problem(String value) {
        return NativeEngineProvider.ACTIVATIONS_OPTION + " must be int8 or int16, not " + value;
    }
}
