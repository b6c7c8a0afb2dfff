package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Objects;

/**
 * How to load a model: device, weight type, compute threads, checksum verification. Immutable; build with
 * {@link #builder()}.
 */
public final class LoadOptions {
    private final DeviceSpec device;
    private final WeightType weightType;
    private final int threads;
    private final boolean verifyChecksums;
    private final int quantGroupSize;
    private final boolean quantizeEmbeddings;

    private LoadOptions(Builder b) {
        this.quantizeEmbeddings = b.quantizeEmbeddings;
        this.device = b.device;
        this.weightType = b.weightType;
        this.threads = b.threads;
        this.verifyChecksums = b.verifyChecksums;
        this.quantGroupSize = b.quantGroupSize;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static LoadOptions defaults() {
        return builder().build();
    }

    public DeviceSpec device() {
        return device;
    }

    public WeightType weightType() {
        return weightType;
    }

    /** Compute threads for the native engine; 0 means the default (see {@link #defaultThreads()}). */
    public int threads() {
        return threads;
    }

    /**
     * The default thread count: one per core, at most 4. Batch-1 decoding is memory-bound and gains nothing past a
     * few threads, while oversubscribing a small machine slows everything else in the host.
     */
    public static int defaultThreads() {
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    public int effectiveThreads() {
        return threads == 0 ? defaultThreads() : threads;
    }

    public boolean verifyChecksums() {
        return verifyChecksums;
    }

    /** Group size for quantize-at-load INT8 (0 = per output channel). */
    public int quantGroupSize() {
        return quantGroupSize;
    }

    /**
     * For INT8: also quantize an untied embedding table and output head (default true; they are a large share of a
     * small model's bytes). A table tied to the head stays float32.
     */
    public boolean quantizeEmbeddings() {
        return quantizeEmbeddings;
    }

    public Builder toBuilder() {
        return new Builder().device(device).weightType(weightType).threads(threads).verifyChecksums(verifyChecksums)
                .quantGroupSize(quantGroupSize).quantizeEmbeddings(quantizeEmbeddings);
    }

    @Override
    public String toString() {
        return "LoadOptions[device=" + device + ", dtype=" + weightType + ", threads=" + effectiveThreads()
                + ", verifyChecksums=" + verifyChecksums + "]";
    }

    public static final class Builder {
        private DeviceSpec device = DeviceSpec.AUTO;
        private WeightType weightType = WeightType.F32;
        private int threads;
        private boolean verifyChecksums = true;
        private int quantGroupSize = 0;
        private boolean quantizeEmbeddings = true;

        public Builder quantizeEmbeddings(boolean quantize) {
            this.quantizeEmbeddings = quantize;
            return this;
        }

        public Builder device(DeviceSpec device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        public Builder device(String device) {
            return device(DeviceSpec.parse(device));
        }

        public Builder weightType(WeightType weightType) {
            this.weightType = Objects.requireNonNull(weightType, "weightType");
            return this;
        }

        public Builder threads(int threads) {
            if (threads < 0 || threads > 1024) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "threads must be 0 (default) to 1024, was " + threads);
            }
            this.threads = threads;
            return this;
        }

        public Builder verifyChecksums(boolean verify) {
            this.verifyChecksums = verify;
            return this;
        }

        public Builder quantGroupSize(int groupSize) {
            if (groupSize != 0 && groupSize != 32 && groupSize != 64 && groupSize != 128) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST,
                        "quantization group size must be 0 (per channel), 32, 64 or 128, was " + groupSize);
            }
            this.quantGroupSize = groupSize;
            return this;
        }

        public LoadOptions build() {
            return new LoadOptions(this);
        }
    }
}
