package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

/**
 * Which device a model should run on: {@code auto} (CUDA when present, else CPU), {@code cpu}, {@code cuda} or
 * {@code cuda:N}.
 *
 * @param kind  what was asked for
 * @param index the CUDA device index ({@code 0} unless {@code cuda:N})
 */
public record DeviceSpec(Kind kind, int index) {

    public enum Kind { AUTO, CPU, CUDA }

    public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, 0);
    public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, 0);

    public DeviceSpec {
        if (index < 0) {
            throw new AssistantException(ErrorCode.INVALID_REQUEST, "CUDA device index must be >= 0, was " + index);
        }
    }

    /** Parses {@code auto | cpu | cuda | cuda:N} (case-insensitive). */
    public static DeviceSpec parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("auto")) {
            return AUTO;
        }
        if (t.equals("cpu")) {
            return CPU;
        }
        if (t.equals("cuda") || t.equals("gpu")) {
            return new DeviceSpec(Kind.CUDA, 0);
        }
        if (t.startsWith("cuda:")) {
            try {
                return new DeviceSpec(Kind.CUDA, Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new AssistantException(ErrorCode.INVALID_REQUEST, "unknown device '" + text
                + "'; use auto, cpu, cuda or cuda:N");
    }

    @Override
    public String toString() {
        return switch (kind) {
            case AUTO -> "auto";
            case CPU -> "cpu";
            case CUDA -> "cuda:" + index;
        };
    }
}
