package dev.assistant.core;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.engine.CausalLanguageModel;
import dev.assistant.core.engine.DeviceSpec;
import dev.assistant.core.engine.KvCacheType;
import dev.assistant.core.engine.LoadOptions;
import dev.assistant.core.engine.WeightType;
import dev.assistant.core.engine.EngineProviders;
import dev.assistant.core.generation.BatchingEngine;
import dev.assistant.core.generation.BatchingSettings;
import dev.assistant.core.delivery.CallbackPool;
import dev.assistant.core.delivery.CallbackThreads;
import dev.assistant.core.model.ModelDirectory;
import dev.assistant.core.model.ModelFiles;
import dev.assistant.core.pipeline.CallStep;
import dev.assistant.core.pipeline.GenerationStep;
import dev.assistant.core.pipeline.MetricsStep;
import dev.assistant.core.pipeline.AuthenticationStep;
import dev.assistant.core.pipeline.AuthorizationStep;
import dev.assistant.core.pipeline.RateLimitStep;
import dev.assistant.api.metrics.MetricsListener;
import dev.assistant.api.security.Environment;
import dev.assistant.api.security.Authenticator;
import dev.assistant.api.security.Principal;
import dev.assistant.api.security.Authorizer;
import dev.assistant.api.security.RateLimiter;
import dev.assistant.api.metrics.RequestMetrics;
import dev.assistant.core.pipeline.SchedulingStep;
import dev.assistant.core.tokenizer.ModelTokenizer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;

/**
 * Configures and builds an {@link Assistant}. Each option may be set once (a second call fails at once, as a
 * configuration mistake would otherwise go unnoticed); values are validated when set; {@link #build()} loads the
 * model.
 */
public final class AssistantBuilder {
    private Path modelPath;
    private String modelName;
    private String backend;
    private java.util.Map<String, String> engineOptions;
    private EngineProviders engines;
    private DeviceSpec device;
    private WeightType weightType;
    private Integer threads;
    private Boolean verifyChecksums;
    private Integer quantGroupSize;
    private KvCacheType kvCacheType;
    private Integer workers;
    private Integer queueCapacity;
    private Duration defaultTimeout;
    private Long memoryBudgetBytes;
    private Long prefixCacheBytes;
    private LongSupplier nanoClock;
    private RandomGenerator random;
    private MetricsListener metrics;
    private Authenticator authenticator;
    private Authorizer authorizer;
    private RateLimiter rateLimiter;
    private Principal anonymous;
    private Executor callbackExecutor;
    private UnaryOperator<CausalLanguageModel> modelWrapper = UnaryOperator.identity();
    private final List<CallStep> steps = new ArrayList<>();

    AssistantBuilder() {
    }

    /** The HuggingFace model directory (config.json, *.safetensors, tokenizer.json) or a {@code .gguf} file. Required. */
    public AssistantBuilder modelPath(Path path) {
        once(modelPath, "modelPath");
        this.modelPath = Objects.requireNonNull(path, "path");
        return this;
    }

    /** The name policies, metrics and responses use for the model (default: the directory name). */
    public AssistantBuilder modelName(String name) {
        once(modelName, "modelName");
        if (name == null || name.isBlank()) {
            throw invalid("model name must not be blank");
        }
        this.modelName = name;
        return this;
    }

    /** {@code auto} (default), {@code cpu}, {@code cuda} or {@code cuda:N}. */
    public AssistantBuilder device(String device) {
        once(this.device, "device");
        this.device = DeviceSpec.parse(device);
        return this;
    }

    /**
     * The engine by name: {@code native} (Llama on the CPU, assistant-engine-native), {@code pytorch}
     * (assistant-engine-pytorch) or another registered {@link dev.assistant.core.engine.EngineProvider}; default
     * {@code auto}: the engine that ranks highest for the model, device and dtype. An engine that cannot run the
     * model fails {@link #build()} with {@code ENGINE_UNAVAILABLE} and its reason.
     */
    public AssistantBuilder backend(String backend) {
        once(this.backend, "backend");
        LoadOptions.builder().backend(backend); // validates
        this.backend = backend;
        return this;
    }

    /**
     * Engine-specific settings ({@code pytorch.layers=unfused}, {@code pytorch.int8=java}, {@code native.kernels=avx2}):
     * for comparing an engine's own compute paths; see the README.
     */
    public AssistantBuilder engineOptions(java.util.Map<String, String> options) {
        once(this.engineOptions, "engineOptions");
        LoadOptions.Builder check = LoadOptions.builder();
        options.forEach(check::engineOption); // validates
        this.engineOptions = java.util.Map.copyOf(options);
        return this;
    }

    /**
     * The engines to choose from (default: those registered with {@link java.util.ServiceLoader}, see
     * {@link EngineProviders#discover()}).
     */
    public AssistantBuilder engines(EngineProviders engines) {
        once(this.engines, "engines");
        this.engines = Objects.requireNonNull(engines, "engines");
        return this;
    }

    /** {@code f32} (default), {@code f16} or {@code int8} (quantized at load unless the directory is quantized). */
    public AssistantBuilder dtype(String dtype) {
        once(weightType, "dtype");
        this.weightType = WeightType.parse(dtype);
        return this;
    }

    /** Native compute threads (process-wide in libtorch); default: cores, at most 4. */
    public AssistantBuilder threads(int threads) {
        once(this.threads, "threads");
        if (threads < 1) {
            throw invalid("threads must be >= 1, was " + threads);
        }
        this.threads = threads;
        return this;
    }

    /** Verify checksums.sha256 / checksums.md5 when the model directory has one (default true). */
    public AssistantBuilder verifyChecksums(boolean verify) {
        once(verifyChecksums, "verifyChecksums");
        this.verifyChecksums = verify;
        return this;
    }

    /**
     * Group size for quantize-at-load INT8: 0 (default) for one scale per output channel, which libtorch's fbgemm
     * computes on CPUs, or 32, 64, 128 for finer scales, computed by the slower Java Vector API kernel.
     */
    public AssistantBuilder quantGroupSize(int groupSize) {
        once(quantGroupSize, "quantGroupSize");
        this.quantGroupSize = groupSize;
        return this;
    }

    /**
     * How each sequence stores its KV cache: {@link KvCacheType#F32} (default) or {@link KvCacheType#INT8} (int8 with
     * a scale per head and position: under half the memory per sequence, so more requests or longer contexts fit the
     * memory budget; perplexity within 0.5% on the test model). INT8 runs on the native engine; an engine that cannot
     * store the type refuses the model with {@code ENGINE_UNAVAILABLE} naming the option (see the README).
     */
    public AssistantBuilder kvCacheType(KvCacheType type) {
        once(kvCacheType, "kvCacheType");
        this.kvCacheType = Objects.requireNonNull(type, "type");
        return this;
    }

    /** {@link #kvCacheType(KvCacheType)} by name: {@code f32} or {@code int8}. */
    public AssistantBuilder kvCache(String type) {
        return kvCacheType(KvCacheType.parse(type));
    }

    /**
     * Requests processed at once (default 16, or 2 x cores where that is more): they form one batch whose decode
     * steps share each forward pass (continuous batching), so more concurrent requests raise throughput until the
     * machine is compute-bound.
     */
    public AssistantBuilder workers(int workers) {
        once(this.workers, "workers");
        if (workers < 1 || workers > 1024) {
            throw invalid("workers must be 1 to 1024, was " + workers);
        }
        this.workers = workers;
        return this;
    }

    /** Requests that may wait for a worker before new ones are rejected with OVERLOADED (default 64). */
    public AssistantBuilder queueCapacity(int capacity) {
        once(queueCapacity, "queueCapacity");
        if (capacity < 1) {
            throw invalid("queue capacity must be >= 1, was " + capacity);
        }
        this.queueCapacity = capacity;
        return this;
    }

    /**
     * Memory that KV caches (each request reserves {@code 2 x layers x kvHeads x (prompt + max new tokens) x headDim
     * x 4} bytes when it starts) and one step's activations may use together. Requests wait in the queue while
     * theirs would not fit; one that cannot fit even alone fails with {@code RESOURCE_EXHAUSTED}; when a native
     * allocation fails anyway the batch is halved and retried. Default: a quarter of physical memory.
     */
    public AssistantBuilder memoryBudgetBytes(long bytes) {
        once(memoryBudgetBytes, "memoryBudgetBytes");
        if (bytes < 1) {
            throw invalid("memory budget must be positive, was " + bytes);
        }
        this.memoryBudgetBytes = bytes;
        return this;
    }

    /**
     * Bytes of the memory budget that may keep finished requests' KV caches, so a request starting with the same
     * tokens (a shared system prompt, a chat's earlier turns) evaluates only the rest; the cached count is reported
     * as {@code Usage.cachedPromptTokens()}. Running requests take precedence: cached prefixes are evicted, least
     * recently used first, when they need the memory. 0 disables the cache; at most the memory budget. Default: a
     * quarter of the memory budget.
     */
    public AssistantBuilder prefixCacheBytes(long bytes) {
        once(prefixCacheBytes, "prefixCacheBytes");
        if (bytes < 0) {
            throw invalid("prefix cache must be >= 0 bytes (0 disables it), was " + bytes);
        }
        this.prefixCacheBytes = bytes;
        return this;
    }

    /** Timeout of requests that set none (default 5 minutes). */
    public AssistantBuilder defaultTimeout(Duration timeout) {
        once(defaultTimeout, "defaultTimeout");
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw invalid("default timeout must be positive, was " + timeout);
        }
        this.defaultTimeout = timeout;
        return this;
    }

    /**
     * Where stream listeners, future completions and the steps' outcome actions (metrics, token charging) run,
     * never on the engine thread; each request's events run one at a time and in order. Default: a pool of
     * {@value CallbackPool#DEFAULT_THREADS} daemon threads owned by the assistant (started on demand, stopped by
     * {@code close()}). Pass your own (for example virtual threads) when listeners block for long: a blocked
     * listener holds one thread of it. The assistant never shuts down an executor it was given; a task the executor
     * refuses runs on the submitting thread.
     */
    public AssistantBuilder callbackExecutor(Executor executor) {
        once(callbackExecutor, "callbackExecutor");
        this.callbackExecutor = Objects.requireNonNull(executor, "executor");
        return this;
    }

    /** The monotonic clock for timings (default {@link System#nanoTime()}); for tests. */
    public AssistantBuilder nanoClock(LongSupplier clock) {
        once(nanoClock, "nanoClock");
        this.nanoClock = Objects.requireNonNull(clock);
        return this;
    }

    /** Source of request ids and of sampling seeds for requests that give none (default: randomly seeded). */
    public AssistantBuilder random(RandomGenerator random) {
        once(this.random, "random");
        this.random = Objects.requireNonNull(random);
        return this;
    }

    /**
     * Where every call's timings, tokens and outcome are reported (for example an
     * {@code InMemoryMetrics}, a {@code MicrometerMetricsListener} and a {@code CallLogListener} combined with
     * {@link MetricsListener#composite}). A listener that throws never breaks a request. Default: none.
     */
    public AssistantBuilder metrics(MetricsListener listener) {
        once(metrics, "metrics");
        this.metrics = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Authenticates every call by the {@link CallerKey} in its request: calls without a valid key fail with
     * {@code UNAUTHENTICATED}. Default: no authentication (every caller is the anonymous principal).
     */
    public AssistantBuilder authenticator(Authenticator authenticator) {
        once(this.authenticator, "authenticator");
        this.authenticator = Objects.requireNonNull(authenticator);
        return this;
    }

    /** Checks every call against the caller's policies ({@code PERMISSION_DENIED} when denied). Default: none. */
    public AssistantBuilder authorizer(Authorizer authorizer) {
        once(this.authorizer, "authorizer");
        this.authorizer = Objects.requireNonNull(authorizer);
        return this;
    }

    /** Holds every caller to its rate ({@code RATE_LIMITED} with the time to wait). Default: no limit. */
    public AssistantBuilder rateLimiter(RateLimiter rateLimiter) {
        once(this.rateLimiter, "rateLimiter");
        this.rateLimiter = Objects.requireNonNull(rateLimiter);
        return this;
    }

    /**
     * Who callers are when there is no authenticator (its policies and rate apply). Default: an anonymous
     * principal in the {@code dev} environment with no policies.
     */
    public AssistantBuilder anonymousPrincipal(Principal principal) {
        once(anonymous, "anonymousPrincipal");
        this.anonymous = Objects.requireNonNull(principal);
        return this;
    }

    /**
     * Adds a step that every call passes before it is scheduled (authentication, authorization, rate limiting,
     * metrics...). Steps run in the order added.
     */
    public AssistantBuilder step(CallStep step) {
        steps.add(Objects.requireNonNull(step));
        return this;
    }

    /** For tests in this package: wraps the loaded model (to hold the engine inside a step, for example). */
    AssistantBuilder modelWrapper(UnaryOperator<CausalLanguageModel> wrapper) {
        this.modelWrapper = Objects.requireNonNull(wrapper);
        return this;
    }

    LoadOptions loadOptions() {
        LoadOptions.Builder b = LoadOptions.builder();
        if (backend != null) {
            b.backend(backend);
        }
        if (engineOptions != null) {
            engineOptions.forEach(b::engineOption);
        }
        if (device != null) {
            b.device(device);
        }
        if (weightType != null) {
            b.weightType(weightType);
        }
        if (threads != null) {
            b.threads(threads);
        }
        if (verifyChecksums != null) {
            b.verifyChecksums(verifyChecksums);
        }
        if (quantGroupSize != null) {
            b.quantGroupSize(quantGroupSize);
        }
        if (kvCacheType != null) {
            b.kvCacheType(kvCacheType);
        }
        return b.build();
    }

    /**
     * Loads the model and starts the assistant.
     *
     * @throws AssistantException {@code MODEL_NOT_FOUND}, {@code MODEL_INVALID}, {@code MODEL_CORRUPTED} or
     *                            {@code ENGINE_UNAVAILABLE} when the model cannot be loaded
     */
    public Assistant build() {
        if (modelPath == null) {
            throw invalid("modelPath is required: point it at a HuggingFace model directory or a .gguf file");
        }
        LoadOptions options = loadOptions();
        LongSupplier clock = nanoClock != null ? nanoClock : System::nanoTime;
        RandomGenerator rng = random != null ? random : new SplittableRandom();
        long start = clock.getAsLong();
        ModelFiles files = ModelFiles.snapshot(modelPath);
        ModelDirectory dir = ModelDirectory.read(modelPath, options.verifyChecksums());
        ModelTokenizer tokenizer = ModelTokenizer.load(modelPath);
        CausalLanguageModel model;
        String engineName;
        try {
            EngineProviders.Loaded loaded = (engines != null ? engines : EngineProviders.discover())
                    .loadWithEngine(dir, options);
            engineName = loaded.engine();
            model = modelWrapper.apply(loaded.model());
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        long loadNanos = clock.getAsLong() - start;
        ModelInfo info = new ModelInfo(modelName != null ? modelName : dir.defaultName(), dir.config().architectureName(),
                model.contextLength(), dir.config().vocabSize(), model.computeType(),
                options.device().toString(), engineName, model.weightBytes(), loadNanos);
        BatchingSettings.Builder batching = BatchingSettings.builder()
                .maxBatch(workers != null ? workers : BatchingSettings.defaultMaxBatch())
                .queueCapacity(queueCapacity != null ? queueCapacity : 64);
        if (memoryBudgetBytes != null) {
            batching.memoryBudgetBytes(memoryBudgetBytes);
        }
        if (prefixCacheBytes != null) {
            batching.prefixCacheBytes(prefixCacheBytes);
        }
        BatchingEngine engine = new BatchingEngine(model, batching.build(), clock, engineThreads(info.name()));
        SchedulingStep scheduler = new SchedulingStep(engine);
        CallbackPool pool = callbackExecutor == null
                ? new CallbackPool("assistant-callback-" + info.name(), CallbackPool.DEFAULT_THREADS) : null;
        Executor callbacks = pool != null ? pool : CallbackPool.inlineWhenRejected(callbackExecutor);
        Runnable stopCallbacks = pool != null ? pool::close : () -> {
        };
        CallbackThreads timerThreads = new CallbackThreads("assistant-timer-" + info.name());
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, timerThreads);
        timers.setRemoveOnCancelPolicy(true); // a call that ends before its deadline leaves nothing behind
        GenerationStep generation = new GenerationStep(engine, tokenizer, dir.generation().eosTokenIds(), rng, callbacks);
        RequestMetrics requestMetrics = metrics == null ? RequestMetrics.NONE
                : new RequestMetrics(metrics, clock::getAsLong);
        requestMetrics.modelLoaded(info.name(), loadNanos, info.weightBytes());
        List<CallStep> all = new ArrayList<>();
        if (metrics != null) {
            all.add(new MetricsStep(requestMetrics));
        }
        Principal anon = anonymous != null ? anonymous : Principal.anonymous(Environment.DEV);
        if (authenticator != null) {
            all.add(new AuthenticationStep(authenticator));
        }
        if (authorizer != null) {
            all.add(new AuthorizationStep(authorizer, anon));
        }
        if (rateLimiter != null) {
            all.add(new RateLimitStep(rateLimiter, anon));
        }
        all.addAll(steps);
        all.add(scheduler);
        return new Assistant(info, model, tokenizer, scheduler, CallStep.link(all, generation), callbacks, stopCallbacks,
                timers, timerThreads, defaultTimeout != null ? defaultTimeout : Duration.ofMinutes(5), clock, rng,
                requestMetrics, files);
    }

    /** The engine's one thread: a daemon, so an assistant that is never closed cannot keep the JVM alive. */
    private static java.util.concurrent.ThreadFactory engineThreads(String modelName) {
        return r -> {
            Thread t = new Thread(r, "assistant-engine-" + modelName);
            t.setDaemon(true);
            return t;
        };
    }

    private static void once(Object current, String name) {
        if (current != null) {
            throw new IllegalStateException(name + " was already set");
        }
    }

    private static AssistantException invalid(String message) {
        return new AssistantException(ErrorCode.INVALID_REQUEST, message);
    }
}
