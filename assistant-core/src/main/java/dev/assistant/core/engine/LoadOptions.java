package dev.assistant.core.engine;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * How to load a model: engine, device, weight type, compute threads, checksum verification. Immutable; build with
 * {@link #builder()}.
 */
public final class LoadOptions {
    /** The backend value that lets {@link EngineProviders} choose by rank. */
    public static final String AUTO_BACKEND = "auto";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern OPTION_KEY = Pattern.compile("[a-z][a-z0-9-]{0,31}\\.[a-z][a-z0-9-]{0,31}");

    private final String backend;
    private final Map<String, String> engineOptions;
    private final DeviceSpec device;
    private final WeightType weightType;
    private final int threads;
    private final boolean verifyChecksums;
    private final int quantGroupSize;
    private final boolean quantizeEmbeddings;
    private final KvCacheType kvCacheType;

    private LoadOptions(Builder b) {
        this.backend = b.backend;
        this.engineOptions = java.util.Collections.unmodifiableMap(new TreeMap<>(b.engineOptions));
        this.quantizeEmbeddings = b.quantizeEmbeddings;
        this.device = b.device;
        this.weightType = b.weightType;
        this.threads = b.threads;
        this.verifyChecksums = b.verifyChecksums;
        this.quantGroupSize = b.quantGroupSize;
        this.kvCacheType = b.kvCacheType;
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

    /** The engine asked for by name ({@code native}, {@code pytorch}, ...), or {@link #AUTO_BACKEND}. */
    public String backend() {
        return backend;
    }

    /**
     * Engine-specific settings, each key prefixed with the engine's name ({@code pytorch.layers=unfused}): for
     * comparing an engine's own paths. An engine rejects keys of its prefix it does not know.
     */
    public Map<String, String> engineOptions() {
        return engineOptions;
    }

    /**
     * Empty when every engine option of {@code engine} (keys {@code engine.*}) is in {@code known}, else a sentence
     * naming the first that is not: for an engine's {@link EngineProvider#support} check.
     */
    public java.util.Optional<String> unknownEngineOption(String engine, java.util.Set<String> known) {
        String prefix = engine + ".";
        return engineOptions.keySet().stream().filter(k -> k.startsWith(prefix) && !known.contains(k)).findFirst()
                .map(k -> "unknown engine option " + k + " (known: " + new java.util.TreeSet<>(known) + ")");
    }

    /** The engine option {@code key}, or {@code fallback}. */
    public String engineOption(String key, String fallback) {
        return engineOptions.getOrDefault(key, fallback);
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

    /**
     * How sequences store their KV cache (default {@link KvCacheType#F32}). An engine that cannot store the type asked
     * for says so in {@link EngineProvider#support}, so it is never silently ignored.
     */
    public KvCacheType kvCacheType() {
        return kvCacheType;
    }

    public Builder toBuilder() {
        Builder b = new Builder().backend(backend);
        engineOptions.forEach(b::engineOption);
        return b.device(device).weightType(weightType).threads(threads).verifyChecksums(verifyChecksums)
                .quantGroupSize(quantGroupSize).quantizeEmbeddings(quantizeEmbeddings).kvCacheType(kvCacheType);
    }

    @Override
    public String toString() {
        return "LoadOptions[backend=" + backend + (engineOptions.isEmpty() ? "" : " " + engineOptions)
                + ", device=" + device + ", dtype=" + weightType + ", kvCache=" + kvCacheType + ", threads=" + effectiveThreads()
                + ", verifyChecksums=" + verifyChecksums + "]";
    }

    public static final class Builder {
        private String backend = AUTO_BACKEND;
        private final Map<String, String> engineOptions = new TreeMap<>();
        private DeviceSpec device = DeviceSpec.AUTO;
        private WeightType weightType = WeightType.F32;
        private int threads;
        private boolean verifyChecksums = true;
        private int quantGroupSize = 0;
        private boolean quantizeEmbeddings = true;
        private KvCacheType kvCacheType = KvCacheType.F32;

        /** The engine by name ({@code native}, {@code pytorch}, ...) or {@code auto} (the default). */
        public Builder backend(String backend) {
            String b = backend == null ? "" : backend.trim().toLowerCase(java.util.Locale.ROOT);
            if (!NAME.matcher(b).matches()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "backend must be 'auto' or an engine name "
                        + "such as 'native' or 'pytorch'");
            }
            this.backend = b;
            return this;
        }

        /** An engine-specific setting, {@code engine.key} (see {@link LoadOptions#engineOptions()}). */
        public Builder engineOption(String key, String value) {
            if (key == null || !OPTION_KEY.matcher(key).matches()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "engine options are named engine.key in "
                        + "lower case (e.g. pytorch.layers)");
            }
            if (value == null || value.isBlank() || value.length() > 64) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "engine option " + key
                        + " needs a value of 1 to 64 characters");
            }
            engineOptions.put(key, value.trim());
            return this;
        }

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

        public Builder kvCacheType(KvCacheType type) {
            this.kvCacheType = Objects.requireNonNull(type, "kvCacheType");
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
