package dev.assistant.core.registry;

import dev.assistant.api.AssistantException;
import dev.assistant.api.ErrorCode;
import dev.assistant.core.Assistant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Several named models, each served by one current version that can be replaced without downtime.
 *
 * <p>A request takes a {@link #lease(String) lease} on the current version of its model and closes it when done.
 * {@link #reload(String, Path)} loads a new version beside the old one, {@linkplain SelfTest verifies} it, switches
 * new requests to it atomically and frees the old one once the requests holding it have finished; a version that
 * fails to load or verify is reported and the old one keeps serving. With {@link Builder#idleUnloadAfter} a model
 * nobody used for that long is unloaded, and the next request for it waits (at most {@link Builder#loadTimeout})
 * for it to load again.
 *
 * <p>Memory: the expected footprint of every model ({@link ModelSpec#expectedBytes()}) must fit within the
 * registry's memory limit (by default 80% of physical memory) when it is built, and a reload must fit beside the
 * versions already loaded, since old and new are held together for a moment.
 *
 * <p>Thread-safe. {@link #close()} frees every version and stops the registry's threads.
 */
public final class ModelRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

    private final Map<String, Slot> slots;
    private final List<Slot> ordered;
    private final Duration idleUnloadAfter;
    private final Duration loadTimeout;
    private final long memoryLimitBytes;
    private final SelfTest selfTest;
    private final LongSupplier nanoClock;
    private final ExecutorService loader;
    private final ScheduledExecutorService idleChecker;
    private volatile boolean closed;

    private ModelRegistry(Builder b) {
        this.idleUnloadAfter = b.idleUnloadAfter;
        this.loadTimeout = b.loadTimeout;
        this.memoryLimitBytes = b.memoryLimitBytes;
        this.selfTest = b.selfTest;
        this.nanoClock = b.nanoClock;
        Map<String, Slot> byName = new LinkedHashMap<>();
        for (ModelSpec spec : b.specs) {
            byName.put(spec.name(), new Slot(spec));
        }
        this.slots = Map.copyOf(byName);
        this.ordered = List.copyOf(byName.values());
        this.loader = Executors.newSingleThreadExecutor(daemon("assistant-model-loader"));
        this.idleChecker = idleUnloadAfter == null ? null
                : Executors.newSingleThreadScheduledExecutor(daemon("assistant-model-idle"));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The model names, in the order they were added. */
    public List<String> names() {
        return ordered.stream().map(s -> s.spec.name()).toList();
    }

    /** Whether a model of that name is served (loaded or not). */
    public boolean contains(String name) {
        return slots.containsKey(name);
    }

    /**
     * A lease on the current version of {@code name}, loading it first if it is unloaded (waiting at most the load
     * timeout).
     *
     * @throws AssistantException {@code MODEL_NOT_FOUND} for an unknown name; the load's own error when loading
     *                            fails; {@code ENGINE_UNAVAILABLE} when the load takes longer than the timeout or the
     *                            registry is closed
     */
    public ModelLease lease(String name) {
        Slot slot = slot(name);
        long deadline = nanoClock.getAsLong() + loadTimeout.toNanos();
        while (true) {
            checkOpen();
            CompletableFuture<LoadedVersion> pending;
            synchronized (slot) {
                LoadedVersion current = slot.current;
                if (current != null) {
                    ModelLease lease = current.tryLease(() -> slot.lastUsedNanos = nanoClock.getAsLong());
                    if (lease != null) {
                        slot.lastUsedNanos = nanoClock.getAsLong();
                        return lease;
                    }
                    continue; // retired under us by a reload or an unload: look again
                }
                pending = slot.loading != null ? slot.loading : startLoad(slot);
            }
            await(slot, pending, deadline);
        }
    }

    /** Reloads {@code name} from the path it was last loaded from (for example after an atomic rename). */
    public ModelVersion reload(String name) {
        return reload(name, null);
    }

    /**
     * Loads a new version of {@code name} from {@code path} (or its current path when null), verifies it, and
     * switches new requests to it. Requests already running finish on the old version, which is freed after them.
     * Blocks until the new version serves or has been refused.
     *
     * @return the version now serving
     * @throws AssistantException when the new version cannot be loaded, fails its self-test or does not fit in
     *                            memory beside the loaded ones; the old version then keeps serving
     */
    public ModelVersion reload(String name, Path path) {
        Slot slot = slot(name);
        synchronized (slot.reloading) { // one reload of a model at a time; requests are not held up by it
            checkOpen();
            Path target = path != null ? path : slot.path;
            long expected = path == null ? slot.spec.expectedBytes() : WeightFootprint.estimate(path, false);
            long loaded = loadedBytes();
            if (loaded + expected > memoryLimitBytes) {
                throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "cannot load a new version of model '"
                        + name + "' (about " + mib(expected) + " MiB) beside the loaded ones (" + mib(loaded)
                        + " MiB): the memory limit is " + mib(memoryLimitBytes) + " MiB");
            }
            LoadedVersion fresh;
            try {
                fresh = open(slot.spec, target);
            } catch (RuntimeException e) {
                LOG.warn("reload of model {} from {} refused; the current version keeps serving: {}", name, target,
                        e.getMessage());
                throw e;
            }
            LoadedVersion old;
            synchronized (slot) {
                if (closed) {
                    fresh.retire();
                    throw closedException();
                }
                old = slot.current;
                slot.current = fresh;
                slot.path = target;
                slot.expectedBytes = expected;
                slot.lastUsedNanos = nanoClock.getAsLong();
                if (old != null) {
                    slot.draining.add(old);
                }
            }
            if (old != null) {
                old.retire();
            }
            LOG.info("model {} now serves version {} from {} (was {})", name, fresh.version(), target,
                    old == null ? "unloaded" : old.version());
            return fresh.version();
        }
    }

    /** The state of every model, in the order they were added. */
    public List<ModelStatus> status() {
        List<ModelStatus> out = new ArrayList<>();
        for (Slot slot : ordered) {
            synchronized (slot) {
                slot.draining.removeIf(LoadedVersion::isClosed);
                LoadedVersion current = slot.current;
                ModelStatus.State state = current != null ? ModelStatus.State.LOADED
                        : slot.loading != null ? ModelStatus.State.LOADING : ModelStatus.State.UNLOADED;
                out.add(new ModelStatus(slot.spec.name(), state, current == null ? null : current.version(), slot.path,
                        current == null ? 0 : current.leases(), slot.draining.size()));
            }
        }
        return out;
    }

    /** The expected memory of every model, loaded or not (what the limit was checked against at start). */
    public long expectedBytes() {
        long total = 0;
        for (Slot slot : ordered) {
            synchronized (slot) {
                total += slot.expectedBytes;
            }
        }
        return total;
    }

    /** The memory limit models are checked against. */
    public long memoryLimitBytes() {
        return memoryLimitBytes;
    }

    /**
     * Unloads every model that holds no lease and was last used longer ago than the idle limit. Runs on the
     * registry's own schedule when {@link Builder#idleUnloadAfter} is set; public so a host can run it at a time
     * of its choosing.
     *
     * @return the names unloaded
     */
    public List<String> unloadIdle() {
        if (idleUnloadAfter == null) {
            return List.of();
        }
        List<String> unloaded = new ArrayList<>();
        long now = nanoClock.getAsLong();
        for (Slot slot : ordered) {
            LoadedVersion victim = null;
            synchronized (slot) {
                LoadedVersion current = slot.current;
                if (current != null && current.leases() == 0 && now - slot.lastUsedNanos >= idleUnloadAfter.toNanos()) {
                    slot.current = null;
                    victim = current;
                }
            }
            if (victim != null) {
                victim.retire();
                unloaded.add(slot.spec.name());
                LOG.info("model {} unloaded after {} idle; the next request loads it again", slot.spec.name(),
                        idleUnloadAfter);
            }
        }
        return unloaded;
    }

    /** Frees every version (waiting for none) and stops the registry's threads. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (idleChecker != null) {
            idleChecker.shutdownNow();
        }
        loader.shutdownNow();
        for (Slot slot : ordered) {
            LoadedVersion current;
            List<LoadedVersion> draining;
            synchronized (slot) {
                current = slot.current;
                slot.current = null;
                draining = List.copyOf(slot.draining);
            }
            if (current != null) {
                current.retire();
            }
            draining.forEach(LoadedVersion::retire);
        }
    }

    // ---- internals ------------------------------------------------------------------------------------------

    private void start() {
        long total = expectedBytes();
        if (total > memoryLimitBytes) {
            StringBuilder each = new StringBuilder();
            for (Slot slot : ordered) {
                each.append(each.length() == 0 ? "" : ", ").append(slot.spec.name()).append(' ')
                        .append(mib(slot.expectedBytes)).append(" MiB");
            }
            throw new AssistantException(ErrorCode.RESOURCE_EXHAUSTED, "the models need about " + mib(total)
                    + " MiB (" + each + ") but the memory limit is " + mib(memoryLimitBytes) + " MiB; serve fewer "
                    + "models, quantize them (int8), or raise the limit");
        }
        if (idleChecker != null) {
            long period = Math.max(1, Math.min(idleUnloadAfter.toMillis() / 4, 30_000));
            idleChecker.scheduleWithFixedDelay(this::unloadIdleQuietly, period, period, TimeUnit.MILLISECONDS);
        }
    }

    private void loadAll() {
        for (Slot slot : ordered) {
            try {
                LoadedVersion loaded = open(slot.spec, slot.path);
                synchronized (slot) {
                    slot.current = loaded;
                    slot.lastUsedNanos = nanoClock.getAsLong();
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }
    }

    /** Starts loading {@code slot} on the loader thread; the caller holds the slot's lock. */
    private CompletableFuture<LoadedVersion> startLoad(Slot slot) {
        Path path = slot.path;
        CompletableFuture<LoadedVersion> loading = CompletableFuture.supplyAsync(() -> open(slot.spec, path), loader);
        slot.loading = loading;
        loading.whenComplete((loaded, failure) -> {
            synchronized (slot) {
                if (slot.loading == loading) {
                    slot.loading = null;
                }
                if (loaded != null) {
                    if (closed || slot.current != null) { // closed meanwhile, or a reload got there first
                        loaded.retire();
                    } else {
                        slot.current = loaded;
                        slot.lastUsedNanos = nanoClock.getAsLong();
                    }
                }
            }
        });
        return loading;
    }

    private void await(Slot slot, CompletableFuture<LoadedVersion> pending, long deadline) {
        long left = deadline - nanoClock.getAsLong();
        try {
            pending.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "model '" + slot.spec.name()
                    + "' is still loading after " + loadTimeout.toSeconds() + " s; retry later", "model_loading",
                    null, TimeUnit.SECONDS.toNanos(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssistantException(ErrorCode.CANCELLED, "interrupted while model '" + slot.spec.name()
                    + "' was loading");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AssistantException ae) {
                throw ae;
            }
            throw new AssistantException(ErrorCode.INTERNAL, "loading model '" + slot.spec.name() + "' failed: "
                    + cause, cause);
        }
    }

    private LoadedVersion open(ModelSpec spec, Path path) {
        ModelVersion version = ModelVersion.of(path);
        Assistant assistant = spec.factory().open(spec.name(), path);
        try {
            if (!assistant.modelInfo().name().equals(spec.name())) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "the factory opened an assistant named '"
                        + assistant.modelInfo().name() + "' for model '" + spec.name() + "': give it the name");
            }
            selfTest.verify(assistant);
        } catch (RuntimeException e) {
            assistant.close();
            if (e instanceof AssistantException ae) {
                throw ae;
            }
            throw new AssistantException(ErrorCode.MODEL_INVALID, "model '" + spec.name() + "' from " + path
                    + " failed its self-test: " + e, e);
        }
        LOG.info("model {} version {} loaded from {}", spec.name(), version, path);
        return new LoadedVersion(assistant, version);
    }

    private long loadedBytes() {
        long total = 0;
        for (Slot slot : ordered) {
            synchronized (slot) {
                if (slot.current != null) {
                    total += slot.expectedBytes;
                }
            }
        }
        return total;
    }

    private void unloadIdleQuietly() {
        try {
            unloadIdle();
        } catch (RuntimeException e) {
            LOG.warn("idle unload check failed: {}", e.toString());
        }
    }

    private Slot slot(String name) {
        Slot slot = name == null ? null : slots.get(name);
        if (slot == null) {
            throw new AssistantException(ErrorCode.MODEL_NOT_FOUND, "no model named '" + name + "' is served");
        }
        return slot;
    }

    private void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private static AssistantException closedException() {
        return new AssistantException(ErrorCode.ENGINE_UNAVAILABLE, "the model registry is closed");
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** One model: its spec, the version serving it, a load in progress, and old versions still draining. */
    private static final class Slot {
        final ModelSpec spec;
        final Object reloading = new Object();
        final List<LoadedVersion> draining = new ArrayList<>();
        Path path;
        long expectedBytes;
        LoadedVersion current;
        CompletableFuture<LoadedVersion> loading;
        volatile long lastUsedNanos;

        Slot(ModelSpec spec) {
            this.spec = spec;
            this.path = spec.path();
            this.expectedBytes = spec.expectedBytes();
        }
    }

    /** Models and settings; each setting at most once. */
    public static final class Builder {
        private final List<ModelSpec> specs = new ArrayList<>();
        private Duration idleUnloadAfter;
        private Duration loadTimeout = Duration.ofMinutes(2);
        private long memoryLimitBytes = defaultMemoryLimit();
        private SelfTest selfTest = SelfTest.FORWARD_PASS;
        private LongSupplier nanoClock = System::nanoTime;
        private boolean loadOnStart = true;

        private Builder() {
        }

        public Builder model(ModelSpec spec) {
            Objects.requireNonNull(spec, "spec");
            if (specs.stream().anyMatch(s -> s.name().equals(spec.name()))) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "model '" + spec.name() + "' is listed twice");
            }
            specs.add(spec);
            return this;
        }

        /** Unload a model nobody used for this long (default: never). */
        public Builder idleUnloadAfter(Duration idle) {
            if (idle == null || idle.isNegative() || idle.isZero()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "idle unload time must be positive");
            }
            this.idleUnloadAfter = idle;
            return this;
        }

        /** How long a request waits for its model to load (default 2 minutes). */
        public Builder loadTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "load timeout must be positive");
            }
            this.loadTimeout = timeout;
            return this;
        }

        /** The memory all models together may be expected to take (default 80% of physical memory). */
        public Builder memoryLimitBytes(long bytes) {
            if (bytes <= 0) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "memory limit must be positive");
            }
            this.memoryLimitBytes = bytes;
            return this;
        }

        /** The check a new version must pass before it serves (default {@link SelfTest#FORWARD_PASS}). */
        public Builder selfTest(SelfTest test) {
            this.selfTest = Objects.requireNonNull(test, "test");
            return this;
        }

        /** The clock of idle times and load timeouts (default {@link System#nanoTime()}); for tests. */
        public Builder nanoClock(LongSupplier clock) {
            this.nanoClock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Load every model when the registry is built (default) or only on its first request. */
        public Builder loadOnStart(boolean load) {
            this.loadOnStart = load;
            return this;
        }

        /**
         * Checks the models' expected memory against the limit, then loads them (unless {@code loadOnStart(false)}).
         *
         * @throws AssistantException {@code RESOURCE_EXHAUSTED} when they do not fit; a model's load error
         */
        public ModelRegistry build() {
            if (specs.isEmpty()) {
                throw new AssistantException(ErrorCode.INVALID_REQUEST, "a model registry needs at least one model");
            }
            ModelRegistry registry = new ModelRegistry(this);
            try {
                registry.start();
                if (loadOnStart) {
                    registry.loadAll();
                }
            } catch (RuntimeException e) {
                registry.close();
                throw e;
            }
            return registry;
        }

        private static long defaultMemoryLimit() {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                return os.getTotalMemorySize() / 10 * 8;
            }
            return Long.MAX_VALUE;
        }
    }
}
